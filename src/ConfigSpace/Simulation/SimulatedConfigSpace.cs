using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>One write as the device saw it, for tests that check what a replay did.</summary>
public readonly record struct SimulatedWrite(int Offset, int Width, uint Value);

/// <summary>
/// A function's configuration space as a register file with the specification's rules (<see cref="Specification.SpecTable"/>):
/// writable bits take the written value, write-1-to-clear bits clear where a 1 is written, every other bit (identity,
/// capability structure, reserved) ignores writes. BARs answer the sizing handshake; writing Initiate FLR resets the
/// function, and so does a PowerState write from D3hot to D0 without No_Soft_Reset; a D-state the function does not
/// support is discarded. Command side effects (decode, Bus Master = DMA allowed, INTx) are visible as properties.
/// Faults can be injected.
/// </summary>
public sealed class SimulatedConfigSpace : IConfigSpace
{
    private byte[] _config;
    private readonly byte[] _powerOn;
    private readonly Dictionary<int, int> _droppedWrites = [];
    private readonly List<SimulatedWrite> _writes = [];

    public SimulatedConfigSpace(PciAddress address, byte[] config, IReadOnlyList<BarModel>? bars = null, SimulatedFaults? faults = null)
    {
        if (config.Length is not (64 or Header.StdConfigSize or Header.ExtConfigSize))
            throw new ArgumentException($"{address}: config space must be 64, 256 or 4096 bytes, not {config.Length}", nameof(config));
        Address = address;
        _config = (byte[])config.Clone();
        Bars = bars ?? BarModel.FromConfig(config);
        Masks = WriteMasks.Build(config, Bars, address);
        _powerOn = Masks.PowerOnValues(config);
        Faults = faults ?? new SimulatedFaults();
    }

    public PciAddress Address { get; }
    public int Length => _config.Length;
    public IReadOnlyList<BarModel> Bars { get; }
    public WriteMasks Masks { get; }
    public SimulatedFaults Faults { get; }

    /// <summary>Every write that reached the device (dropped ones included), in order.</summary>
    public IReadOnlyList<SimulatedWrite> Writes => _writes;

    /// <summary>How many times the function was reset (FLR, bus or power-management reset).</summary>
    public int ResetCount { get; private set; }

    public ushort Command => (ushort)(_config[Header.Command] | _config[Header.Command + 1] << 8);
    public bool MemoryDecode => (Command & (ushort)Registers.Command.Memory) != 0;
    public bool IoDecode => (Command & (ushort)Registers.Command.Io) != 0;
    /// <summary>Bus Master: the function may DMA.</summary>
    public bool DmaAllowed => (Command & (ushort)Registers.Command.BusMaster) != 0;
    public bool IntxDisabled => (Command & (ushort)Registers.Command.IntxDisable) != 0;

    /// <summary>The bytes as they are now (a copy), without going through fault injection.</summary>
    public byte[] Snapshot() => (byte[])_config.Clone();

    /// <summary>What a reset brings the function back to.</summary>
    public ReadOnlySpan<byte> PowerOnValues => _powerOn;

    public void Read(int offset, Span<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        if (Faults.IoError) throw new ConfigSpaceAccessException(Address, offset, "read failed: Input/output error (EIO)");
        if (Faults.Vanished) { buffer.Fill(0xff); return; }
        if (NotReady(out bool rrs))
        {
            buffer.Fill(0xff);
            if (rrs && offset == Header.VendorId && buffer.Length >= 2) (buffer[0], buffer[1]) = (0x01, 0x00);
            return;
        }
        _config.AsSpan(offset, buffer.Length).CopyTo(buffer);
        if (LinkDown && Masks.LinkStatusOffset is int lnkSta && lnkSta + 1 >= offset && lnkSta + 1 < offset + buffer.Length)
            buffer[lnkSta + 1 - offset] &= unchecked((byte)~(PciExpress.LnkStaDllActive >> 8));
    }

    // Timestamps (of Faults.Clock) until which the function reads all ones, answers RRS, or (a bridge) its link is down.
    private long _unreachableUntil = long.MinValue, _rrsUntil = long.MinValue, _linkDownUntil = long.MinValue;

    private long Now => Faults.Clock.GetTimestamp();

    private long After(TimeSpan span) => span == TimeSpan.MaxValue ? long.MaxValue : Now + (long)(span.TotalSeconds * Faults.Clock.TimestampFrequency);

    /// <summary>Not answering now (the link down, a reset still running, or gone for good); <paramref name="rrs"/>: with
    /// Configuration RRS rather than nothing.</summary>
    public bool NotReady(out bool rrs)
    {
        long now = Now;
        rrs = false;
        if (now < _unreachableUntil) return true;
        rrs = now < _rrsUntil;
        return rrs;
    }

    /// <summary>A bridge whose link is retraining after its Secondary Bus Reset (<see cref="SimulatedFaults.LinkDownAfterReset"/>).</summary>
    public bool LinkDown => Now < _linkDownUntil;

    /// <summary>Unreachable (all ones) for <paramref name="span"/> from now: the link above it is down.</summary>
    public void HoldUnreachable(TimeSpan span) => _unreachableUntil = Math.Max(_unreachableUntil, After(span));

    /// <summary>The RRS window is over (the kernel waited it out); a function that never comes back stays gone.</summary>
    public void WaitedOut() => _rrsUntil = long.MinValue;

    /// <summary>This bridge's link is down for <see cref="SimulatedFaults.LinkDownAfterReset"/> from now.</summary>
    public void TakeLinkDown() => _linkDownUntil = After(Faults.LinkDownAfterReset);

    public void Write(int offset, ReadOnlySpan<byte> value)
    {
        CheckRange(offset, value.Length);
        if (value.Length is not (1 or 2 or 4)) throw new ArgumentException("a config write is 1, 2 or 4 bytes wide", nameof(value));
        if (Faults.IoError) throw new ConfigSpaceAccessException(Address, offset, "write failed: Input/output error (EIO)");
        uint raw = 0;
        for (int i = 0; i < value.Length; i++) raw |= (uint)value[i] << (8 * i);
        _writes.Add(new SimulatedWrite(offset, value.Length, raw));
        if (Faults.VanishAfterWrites >= 0 && _writes.Count > Faults.VanishAfterWrites) Faults.Vanished = true;
        if (Faults.Vanished || NotReady(out _) || Dropped(offset)) return;

        bool flr = false;
        bool sbrBefore = SecondaryBusResetAsserted;
        Span<byte> old = stackalloc byte[value.Length];
        _config.AsSpan(offset, value.Length).CopyTo(old);
        for (int i = 0; i < value.Length; i++)
        {
            int at = offset + i;
            byte w = Masks.Writable[at], c = Masks.WriteOneToClear[at];
            byte next = (byte)((_config[at] & ~w) | (value[i] & w));
            next &= (byte)~(value[i] & c);
            _config[at] = next;
            if (at == Masks.InitiateFlrOffset + 1 && (value[i] & 0x80) != 0) flr = true;
        }
        Masks.DiscardIllegalFields(old, offset, _config);
        if (flr || Masks.SoftResetOnD0(old, offset, _config)) Reset();
        if (!sbrBefore && SecondaryBusResetAsserted) SecondaryBusReset?.Invoke(this);
    }

    /// <summary>A bridge holding its secondary bus in reset (Bridge Control bit 6).</summary>
    public bool SecondaryBusResetAsserted =>
        ConfigBytes.HeaderKind(_config) == HeaderType.Bridge && (ConfigBytes.U16(_config, Type1.BridgeControl) & (ushort)BridgeControl.BusReset) != 0;

    /// <summary>
    /// Brings every writable and write-1-to-clear bit back to its power-on value, sticky bits aside (what FLR or a
    /// bus reset does).
    /// </summary>
    public void Reset()
    {
        var next = (byte[])_powerOn.Clone();
        for (int i = 0; i < next.Length; i++)
            next[i] = (byte)((next[i] & ~Masks.Sticky[i]) | (_config[i] & Masks.Sticky[i]));
        _config = next;
        ResetCount++;
        if (Faults.NeverBackAfterReset) _unreachableUntil = long.MaxValue;
        else if (Faults.RrsAfterReset > TimeSpan.Zero) _rrsUntil = After(Faults.RrsAfterReset);
    }

    /// <summary>
    /// The kernel's pci_restore_state() after a sysfs reset: the writable bits of the header and of the registers
    /// pci_save_state() keeps (PCI Express controls, LTR, L1 PM substates, DPC, PTM) take <paramref name="saved"/>'s
    /// values. MSI and MSI-X are left as the reset left them: the kernel restores those only for a driver that enabled
    /// them, and no driver is bound when preinit runs.
    /// </summary>
    public void RestoreKernelSavedState(byte[] saved)
    {
        void Take(int offset, int length)
        {
            for (int i = offset; i < offset + length && i < _config.Length && i < saved.Length; i++)
                _config[i] = (byte)((_config[i] & ~Masks.Writable[i]) | (saved[i] & Masks.Writable[i]));
        }
        Take(0, Header.Size);
        var walk = CapabilityWalker.Walk(_config);
        if (walk.Find(CapabilityId.Express) is { } exp)
            foreach (int reg in new[] { PciExpress.DevCtl, PciExpress.LnkCtl, PciExpress.SltCtl, PciExpress.RootCtl, PciExpress.DevCtl2, PciExpress.LnkCtl2, PciExpress.SltCtl2 })
                Take(exp.Offset + reg, 2);
        if (walk.Find(ExtendedCapabilityId.Ltr) is { } ltr) Take(ltr.Offset + Ltr.MaxSnoopLatency, 4);
        if (walk.Find(ExtendedCapabilityId.L1PmSubstates) is { } l1ss) Take(l1ss.Offset + L1PmSubstates.Ctl1, 8);
        if (walk.Find(ExtendedCapabilityId.Dpc) is { } dpc) Take(dpc.Offset + Dpc.Ctrl, 2);
        if (walk.Find(ExtendedCapabilityId.Ptm) is { } ptm) Take(ptm.Offset + Ptm.Ctrl, 4);
    }

    /// <summary>A bridge's Secondary Bus Reset bit went from 0 to 1: everything below it is reset (the machine does it).</summary>
    public event Action<SimulatedConfigSpace>? SecondaryBusReset;

    /// <summary>Sets bytes directly, bypassing the write rules: how "the kernel ran" or a test fixture changes state.</summary>
    public void Poke(int offset, ReadOnlySpan<byte> bytes)
    {
        CheckRange(offset, bytes.Length);
        bytes.CopyTo(_config.AsSpan(offset));
    }

    private bool Dropped(int offset)
    {
        int dword = offset & ~3;
        if (Faults.StuckDwords.Contains(dword)) return true;
        if (Faults.RetriesNeeded <= 0) return false;
        _droppedWrites.TryGetValue(dword, out int dropped);
        if (dropped >= Faults.RetriesNeeded) return false;
        _droppedWrites[dword] = dropped + 1;
        return true;
    }

    private void CheckRange(int offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > _config.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Address}: access at 0x{offset:x}+{length} is outside the {_config.Length}-byte config space");
    }
}
