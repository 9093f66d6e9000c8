using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>
/// The header from high dwords to low (<see cref="HeaderRegisters"/>, pci_restore_config_space()'s order), BARs before
/// Command. A BAR, ROM, window or bus number that differs from the present assignment is not moved (the running
/// kernel's resources describe the present one) unless the policy says moveResources; after a reset the present
/// assignment is put back.
/// </summary>
internal sealed class HeaderRestore() : RestoreEntry(StepPhase.Header, "header",
    "the header from high dwords to low (BARs before Command; bridges 15..12, 11..9 always written, 8..0), resources only where they equal the present assignment")
{
    public override void Plan(FunctionPlan f, PlanContext context)
    {
        var w = f.In(Phase);
        var upperHalves = UpperBarHalves(f);
        foreach (var reg in HeaderRegisters.For(f.Type))
        {
            if (reg.Offset + reg.Width > f.CapturedLength) continue;
            var at = Reg.Header(reg.Offset, reg.Width);
            if (reg.Role == RegisterRole.Control)
            {
                w.Restore(at, reg.Mask, reg.Description, reg.Rw1c, reg.Force);
                continue;
            }
            if (!f.IsCaptured(at)) { f.NotCaptured(at); continue; }
            uint mask = reg.Mask;
            if (reg.Role == RegisterRole.Bar && reg.Name.StartsWith("BASE_ADDRESS_", StringComparison.Ordinal) && !upperHalves.Contains(reg.Offset))
                mask = (ConfigBytes.U32(f.Layout, reg.Offset) & BaseAddress.SpaceIo) != 0 ? BaseAddress.IoMask : BaseAddress.MemMask;
            uint captured = f.ReadCaptured(at) & mask, present = f.Read(at) & mask;
            if (captured != present && !f.Policy.MoveResources)
            {
                if (f.AfterReset)
                {
                    // The reset lost the assignment; the one the running kernel made (and holds in its resources) goes back.
                    f.Notes.Add($"{reg.Name} captured 0x{captured:x}, present 0x{present:x}: the present assignment is put back after the reset (policy moveResources)");
                    w.Write(at, present, mask, $"{reg.Description} (present assignment)", reg.Rw1c, reg.Force);
                    continue;
                }
                f.Notes.Add($"refused: {reg.Name} captured 0x{captured:x}, present 0x{present:x}: not moved (policy moveResources)");
                continue;
            }
            w.Restore(at, mask, reg.Description, reg.Rw1c, reg.Force);
        }
    }

    /// <summary>Offsets of the upper dwords of 64-bit BARs, from the (read-only) type bits.</summary>
    private static HashSet<int> UpperBarHalves(FunctionPlan f)
    {
        var set = new HashSet<int>();
        int count = f.Type switch { HeaderType.Normal => Type0.BarCount, HeaderType.Bridge => Type1.BarCount, _ => 0 };
        for (int i = 0; i < count; i++)
        {
            uint low = ConfigBytes.U32(f.Layout, Type0.BaseAddress0 + 4 * i);
            if ((low & BaseAddress.SpaceIo) == 0 && (low & BaseAddress.MemTypeMask) == BaseAddress.MemType64 && i + 1 < count)
                set.Add(Type0.BaseAddress0 + 4 * ++i);
        }
        return set;
    }
}
