using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>
/// "The kernel ran": what a production kernel and its drivers leave behind in config space when it crashes. On every
/// function that has the register: Bus Master and memory decode on, MSI and MSI-X enabled with a message programmed,
/// DevCtl changed (max read request, relaxed ordering, no snoop), Interrupt Line changed, and error status bits set.
/// Nothing is moved (BARs, windows, bus numbers stay), as the kernel normally keeps firmware's assignment. Changes go
/// through the function's masks: only bits software can change (or hardware can set, for status) are touched.
/// </summary>
public static class KernelRun
{
    /// <summary>Dirties every function of the machine; returns how many functions changed.</summary>
    public static int Dirty(SimulatedMachine machine, int seed)
    {
        int changed = 0;
        foreach (var f in machine.Functions)
            if (Dirty(f.Space, new Random(HashCode.Combine(seed, f.Address.Domain, f.Address.Bus, f.Address.DevFn) & 0x7fffffff ^ seed)))
                changed++;
        return changed;
    }

    public static bool Dirty(SimulatedConfigSpace space, Random rng)
    {
        var before = space.Snapshot();
        var cfg = before.AsSpan();
        var m = space.Masks;

        SetBits(space, Header.Command, 2, (uint)(Command.BusMaster | Command.Memory));
        // Any other line than the one firmware routed.
        byte line = ConfigBytes.U8(cfg, Header.InterruptLine);
        Set(space, Header.InterruptLine, 1, (byte)(line + 1 + rng.Next(254)));
        RaiseStatus(space, Header.Status, 2, (uint)(Status.RecMasterAbort | Status.SigSystemError) | Pick(rng, (uint)Status.ErrorBits));
        if (ConfigBytes.HeaderKind(cfg) == HeaderType.Bridge)
            RaiseStatus(space, Type1.SecStatus, 2, (uint)Status.RecMasterAbort | Pick(rng, (uint)Status.ErrorBits));

        var walk = CapabilityWalker.Walk(cfg);
        if (walk.Find(CapabilityId.Msi) is { } msi)
        {
            ushort flags = ConfigBytes.U16(cfg, msi.Offset + Msi.Flags);
            bool is64 = (flags & Msi.Flags64Bit) != 0;
            Set(space, msi.Offset + Msi.AddressLo, 4, 0xfee00000u | ((uint)rng.Next(0x100) << 12));
            Set(space, msi.Offset + (is64 ? Msi.Data64 : Msi.Data32), 2, (uint)(0x4020 + rng.Next(0x100)));
            SetBits(space, msi.Offset + Msi.Flags, 2, Msi.FlagsEnable);
        }
        if (walk.Find(CapabilityId.MsiX) is { } msix)
            SetBits(space, msix.Offset + MsiX.Flags, 2, MsiX.FlagsEnable);
        if (walk.Find(CapabilityId.Express) is { } exp)
        {
            int devCtl = exp.Offset + PciExpress.DevCtl;
            uint value = ConfigBytes.U16(cfg, devCtl);
            uint readRq = (value & PciExpress.DevCtlReadRqMask) >> 12;
            uint newReadRq = (readRq + 1 + (uint)rng.Next(5)) % 6; // 128..4096 bytes, never the same
            value = (value & ~(uint)PciExpress.DevCtlReadRqMask) | (newReadRq << 12);
            value ^= PciExpress.DevCtlRelaxedOrdering | PciExpress.DevCtlNoSnoop;
            Set(space, devCtl, 2, value & ~(uint)PciExpress.DevCtlFlReset);
            RaiseStatus(space, exp.Offset + PciExpress.DevSta, 2, 0x1 | Pick(rng, PciExpress.DevStaErrorBits));
        }
        if (walk.Find(ExtendedCapabilityId.Aer) is { } aer)
        {
            RaiseStatus(space, aer.Offset + Aer.UncorStatus, 4, 0x00100000u);   // Unsupported Request
            RaiseStatus(space, aer.Offset + Aer.CorStatus, 4, 0x00002001u);     // Receiver Error, Advisory Non-Fatal
        }
        return !before.AsSpan().SequenceEqual(space.Snapshot());
    }

    private static uint Pick(Random rng, uint bits) => bits & (uint)rng.Next();

    /// <summary>Writes through the writable mask, as software would.</summary>
    private static void Set(SimulatedConfigSpace space, int offset, int width, uint value)
    {
        if (offset + width > space.Length) return;
        var now = space.Snapshot();
        Span<byte> bytes = stackalloc byte[width];
        for (int i = 0; i < width; i++)
        {
            byte w = space.Masks.Writable[offset + i];
            bytes[i] = (byte)((now[offset + i] & ~w) | ((byte)(value >> (8 * i)) & w));
        }
        space.Poke(offset, bytes);
    }

    private static void SetBits(SimulatedConfigSpace space, int offset, int width, uint bits)
    {
        if (offset + width > space.Length) return;
        var now = space.Snapshot();
        uint current = 0;
        for (int i = 0; i < width; i++) current |= (uint)now[offset + i] << (8 * i);
        Set(space, offset, width, current | bits);
    }

    /// <summary>Sets write-1-to-clear status bits, as hardware does when an error happens.</summary>
    private static void RaiseStatus(SimulatedConfigSpace space, int offset, int width, uint bits)
    {
        if (offset + width > space.Length) return;
        var now = space.Snapshot();
        Span<byte> bytes = stackalloc byte[width];
        for (int i = 0; i < width; i++)
            bytes[i] = (byte)(now[offset + i] | ((byte)(bits >> (8 * i)) & space.Masks.WriteOneToClear[offset + i]));
        space.Poke(offset, bytes);
    }
}
