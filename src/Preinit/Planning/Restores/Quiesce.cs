using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// Stops a function's DMA and interrupts: Bus Master off and INTx Disable on (memory and I/O decode off too when the
/// function is restored afterwards), then each capability's own (<see cref="CapabilityRestore.Quiesce"/>: MSI off,
/// MSI-X masked then off) in <see cref="RestoreOrder"/>'s order. No DMA and no interrupt once this is done.
/// </summary>
internal static class Quiesce
{
    public static void Plan(FunctionPlan f, bool decodeOff)
    {
        var w = f.In(StepPhase.Quiesce);
        uint mask = ((uint)(Command.BusMaster | Command.IntxDisable) | (decodeOff ? (uint)(Command.Memory | Command.Io) : 0)) & ~f.KernelCommandBits;
        w.Write(Reg.Header(Header.Command, 2), (uint)Command.IntxDisable, mask,
            f.KernelCommandBits != 0 ? "quiesce: INTx disabled (Bus Master and decode left to the kernel: the boot VGA)"
            : decodeOff ? "quiesce: Bus Master, memory and I/O decode off, INTx disabled" : "quiesce: Bus Master off, INTx disabled");
        foreach (var c in RestoreOrder.Capabilities)
            if (c.Find(f.Caps) is { } cap) c.Quiesce(w, cap);
    }
}
