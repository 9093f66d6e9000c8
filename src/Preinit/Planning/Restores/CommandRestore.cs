using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>Command, last: as captured on bridges; on endpoints Bus Master off and INTx Disable on unless the policy
/// says "as-captured" (a driver enables them when it probes).</summary>
internal sealed class CommandRestore() : RestoreEntry(StepPhase.Command, "Command",
    "last: endpoints keep Bus Master off and INTx Disable on (policy busMaster, intx), bridges get firmware's")
{
    public override void Plan(FunctionPlan f, PlanContext context)
    {
        if (f.Captured(Reg.Header(Header.Command, 2)) is not { } value)
        {
            f.Notes.Add("Command not captured: left as the quiesce set it");
            return;
        }
        string why = "Command, last";
        if (f.KernelCommandBits != 0)
        {
            f.Notes.Add("Bus Master, memory and I/O decode left to the kernel (the boot VGA: vgaarb, its framebuffer)");
            why += ", Bus Master and decode as found (the boot VGA)";
        }
        else if (!f.IsBridge)
        {
            if (f.Policy.BusMaster == Policy.BusMasterPolicy.Off)
            {
                if ((value & (uint)Command.BusMaster) != 0) f.Notes.Add("refused: Bus Master captured on: kept off until a driver enables it (policy busMaster off)");
                value &= ~(uint)Command.BusMaster;
                why += ", Bus Master off";
            }
            if (f.Policy.Intx == Policy.IntxPolicy.Disabled)
            {
                value |= (uint)Command.IntxDisable;
                why += ", INTx disabled until a driver enables it";
            }
        }
        if (!f.IsBridge && f.KernelCommandBits != 0 && f.Policy.Intx == Policy.IntxPolicy.Disabled) value |= (uint)Command.IntxDisable;
        f.In(Phase).Write(Reg.Header(Header.Command, 2), value, HeaderRegisters.CommandMask & ~f.KernelCommandBits, why);
    }
}
