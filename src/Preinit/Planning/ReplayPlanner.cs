using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning;

/// <summary>The replay as an explicit list of steps, plus what matching decided and what the planner refused.</summary>
public sealed class ReplayPlan
{
    public required IReadOnlyList<PlanStep> Steps { get; init; }
    public required IReadOnlyList<DeviceMatch> Matches { get; init; }
    /// <summary>Per matched device: what was refused or deliberately left off ("BASE_ADDRESS_0 differs: not moved").</summary>
    public required IReadOnlyDictionary<PciAddress, IReadOnlyList<string>> Notes { get; init; }

    public IEnumerable<PlanStep> StepsFor(PciAddress address) => Steps.Where(s => s.Address == address);
}

/// <summary>
/// Builds the replay in the kernel's order (pci_restore_state(), pci_restore_config_space()): quiesce every endpoint,
/// optional resets, then per device (bridges first): clear stale errors, power state, LTR before the PCI Express
/// control registers (DevCtl, LnkCtl, SltCtl, RootCtl, DevCtl2, LnkCtl2, SltCtl2), DPC, PTM, AER, L1 PM substates,
/// ACS, ARI, MSI/MSI-X with their enables off, the header from high dwords to low, and Command last.
/// Each step is compared with what the register will hold at that point (the present bytes, projected through the
/// steps before it), so equal registers are not written and the dry-run lists exactly what the apply writes.
/// </summary>
public static class ReplayPlanner
{
    public static ReplayPlan Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy)
    {
        var builders = new List<DeviceSteps>();
        var topology = ResetTopology.Build(matches, policy);
        foreach (var m in matches)
            if (m.Kind == MatchKind.Matched && m.Record is not null && m.Present is not null)
                builders.Add(DeviceSteps.Plan(m, policy, topology));

        var steps = new List<PlanStep>();
        // Stop every endpoint's DMA and interrupts before anything else, then resets, then restore bridges before
        // the endpoints below them.
        foreach (var b in builders) steps.AddRange(b.QuiesceSteps);
        foreach (var b in builders) steps.AddRange(b.ResetSteps);
        foreach (var b in builders.Where(b => b.IsBridge)) steps.AddRange(b.RestoreSteps);
        foreach (var b in builders.Where(b => !b.IsBridge)) steps.AddRange(b.RestoreSteps);
        return new ReplayPlan
        {
            Steps = steps,
            Matches = matches,
            Notes = builders.ToDictionary(b => b.Address, b => (IReadOnlyList<string>)b.Notes),
        };
    }

    /// <summary>One device's steps, planned against a projection of its config space.</summary>
    private sealed class DeviceSteps
    {
        private readonly ReplayPolicy _policy;
        private readonly byte[] _snap;
        private readonly byte[] _proj;
        private bool _afterReset;
        private List<PlanStep> _target;

        public PciAddress Address { get; }
        public bool IsBridge { get; }
        public List<PlanStep> QuiesceSteps { get; } = [];
        public List<PlanStep> ResetSteps { get; } = [];
        public List<PlanStep> RestoreSteps { get; } = [];
        public List<string> Notes { get; } = [];

        private DeviceSteps(DeviceMatch m, ReplayPolicy policy)
        {
            _policy = policy;
            Address = m.Address;
            _snap = m.Record!.Config;
            _proj = (byte[])m.Present!.Clone();
            IsBridge = ConfigBytes.HeaderKind(_snap) != HeaderType.Normal;
            _target = QuiesceSteps;
        }

        public static DeviceSteps Plan(DeviceMatch m, ReplayPolicy policy, ResetTopology topology)
        {
            var d = new DeviceSteps(m, policy);
            // Offsets come from the snapshot's capability walk, limited to what both the capture and the present
            // read hold; matching has checked the layouts are equal.
            int length = Math.Min(d._snap.Length, d._proj.Length);
            var caps = CapabilityWalker.Walk(d._snap.AsSpan(0, length));
            if (!d.IsBridge) d.PlanQuiesce(caps);
            d._target = d.ResetSteps;
            d.PlanReset(m, topology);
            d._target = d.RestoreSteps;
            if (policy.ClearErrorStatus) d.PlanClearErrors(caps);
            d.PlanCapabilities(caps);
            d.PlanHeader();
            d.PlanCommand();
            return d;
        }

        private void PlanQuiesce(CapabilityWalker.Result caps)
        {
            Write(Header.Command, 2, (uint)Command.IntxDisable, (uint)(Command.BusMaster | Command.Memory | Command.Io | Command.IntxDisable),
                0, "COMMAND", "quiesce: Bus Master, memory and I/O decode off, INTx disabled");
            if (caps.Find(CapabilityId.Msi) is { } msi)
                Write(msi.Offset + Msi.Flags, 2, 0, Msi.FlagsEnable, 0, "CAP_MSI+2.w", "quiesce: MSI off");
            if (caps.Find(CapabilityId.MsiX) is { } msix && (Read(msix.Offset + MsiX.Flags, 2) & MsiX.FlagsEnable) != 0)
            {
                // Mask every vector first, then disable: no interrupt slips out between the two.
                Write(msix.Offset + MsiX.Flags, 2, MsiX.FlagsMaskAll, MsiX.FlagsMaskAll, 0, "CAP_MSIX+2.w", "quiesce: MSI-X Function Mask");
                Write(msix.Offset + MsiX.Flags, 2, 0, MsiX.FlagsEnable, 0, "CAP_MSIX+2.w", "quiesce: MSI-X off");
            }
        }

        private void PlanReset(DeviceMatch m, ResetTopology topology)
        {
            // A bridge's reset takes down every link below it; preinit resets endpoints only.
            if (IsBridge) return;
            if (!_policy.MayReset(DeviceIdentity.Of(Address, _snap), m.Info?.BootVga, out string why, out var preferred))
            {
                if (_policy.ResetsAnything) Notes.Add($"not reset: {why}");
                return;
            }
            var offered = m.Info?.ResetMethods ?? [];
            var bridge = topology.BridgeFor(Address);
            var methods = preferred.Where(p => p == "bridge" ? bridge is not null : offered.Contains(p)).Distinct().ToList();
            if (methods.Count == 0)
            {
                string bridgeWhy = preferred.Contains("bridge") ? $"; parent bridge reset: {topology.WhyNot(Address)}" : "";
                Notes.Add($"not reset: no allowed reset method offered (offered: {(offered.Count == 0 ? "none" : string.Join(' ', offered))}; allowed: {string.Join(' ', preferred)}{bridgeWhy})");
                return;
            }
            ResetSteps.Add(new PlanStep
            {
                Address = Address, Phase = StepPhase.Reset, Kind = StepKind.Reset, ResetMethods = methods,
                ResetBridge = methods.Contains("bridge") ? bridge!.Value.Bridge : null,
                ResetGroup = methods.Contains("bridge") ? bridge!.Value.Below : [],
                Description = $"reset by {string.Join(", else ", methods)} (policy), verified from config space",
            });
            _afterReset = true; // what the registers hold after it is unknown here: plan every restore write
        }

        private void PlanClearErrors(CapabilityWalker.Result caps)
        {
            Clear(Header.Status, 2, (uint)Status.ErrorBits, "STATUS", "clear stale error status");
            if (ConfigBytes.HeaderKind(_snap) == HeaderType.Bridge)
                Clear(Type1.SecStatus, 2, (uint)Status.ErrorBits, "SEC_STATUS", "clear stale secondary error status");
            if (caps.Find(CapabilityId.Express) is { } exp)
                Clear(exp.Offset + PciExpress.DevSta, 2, PciExpress.DevStaErrorBits, "CAP_EXP+a.w", "clear stale DevSta errors");
            if (caps.Find(ExtendedCapabilityId.Aer) is { } aer)
            {
                Clear(aer.Offset + Aer.UncorStatus, 4, 0xffffffff, "ECAP_AER+4.l", "clear stale AER uncorrectable status");
                Clear(aer.Offset + Aer.CorStatus, 4, 0xffffffff, "ECAP_AER+10.l", "clear stale AER correctable status");
                if (IsRootPortOrRcec(caps))
                    Clear(aer.Offset + Aer.RootStatus, 4, 0x7f, "ECAP_AER+30.l", "clear stale AER root status");
            }
        }

        private bool IsRootPortOrRcec(CapabilityWalker.Result caps) =>
            caps.Find(CapabilityId.Express) is { } exp && PortType(exp.Offset) is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector;

        private PciExpressPortType PortType(int exp) => (PciExpressPortType)((ConfigBytes.U16(_snap, exp + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4);

        private void PlanCapabilities(CapabilityWalker.Result caps)
        {
            if (caps.Find(CapabilityId.PowerManagement) is { } pm)
                Restore(pm.Offset + PowerManagement.Ctrl, 2, PowerManagement.CtrlStateMask | PowerManagement.CtrlPmeEnable, PowerManagement.CtrlPmeStatus,
                    "CAP_PM+4.w", "power state and PME enable");
            // LTR's latencies before LTR Enable in DevCtl2 (as pci_restore_state() does).
            if (caps.Find(ExtendedCapabilityId.Ltr) is { } ltr)
            {
                Restore(ltr.Offset + Ltr.MaxSnoopLatency, 2, 0x1fff, 0, "ECAP_LTR+4.w", "LTR max snoop latency");
                Restore(ltr.Offset + Ltr.MaxNoSnoopLatency, 2, 0x1fff, 0, "ECAP_LTR+6.w", "LTR max no-snoop latency");
            }
            if (caps.Find(CapabilityId.Express) is { } exp) PlanExpress(exp.Offset);
            if (caps.Find(ExtendedCapabilityId.Dpc) is { } dpc)
            {
                // DPC Software Trigger (bit 6) would take the link down: never restored.
                Restore(dpc.Offset + Dpc.Ctrl, 2, 0x01bf, 0, "ECAP_DPC+6.w", "DPC control");
            }
            if (caps.Find(ExtendedCapabilityId.Ptm) is { } ptm)
                Restore(ptm.Offset + Ptm.Ctrl, 4, 0x0000ff03, 0, "ECAP_PTM+8.l", "PTM control");
            if (caps.Find(ExtendedCapabilityId.Aer) is { } aer)
            {
                Restore(aer.Offset + Aer.UncorMask, 4, 0xffffffff, 0, "ECAP_AER+8.l", "AER uncorrectable error mask");
                Restore(aer.Offset + Aer.UncorSeverity, 4, 0xffffffff, 0, "ECAP_AER+c.l", "AER uncorrectable error severity");
                Restore(aer.Offset + Aer.CorMask, 4, 0xffffffff, 0, "ECAP_AER+14.l", "AER correctable error mask");
                Restore(aer.Offset + Aer.Cap, 4, Aer.CapEcrcGenEnable | Aer.CapEcrcCheckEnable | 0x400, 0, "ECAP_AER+18.l", "AER ECRC and header-log enables");
                if (IsRootPortOrRcec(caps))
                    Restore(aer.Offset + Aer.RootCommand, 4, 0x7, 0, "ECAP_AER+2c.l", "AER root error reporting enables");
            }
            if (caps.Find(ExtendedCapabilityId.L1PmSubstates) is { } l1ss)
            {
                // CTL2 (T_POWER_ON) before CTL1's enables, as pci_restore_aspm_l1ss_state() does.
                Restore(l1ss.Offset + L1PmSubstates.Ctl2, 4, 0x000000fb, 0, "ECAP_L1PM+c.l", "L1 PM substates control 2");
                Restore(l1ss.Offset + L1PmSubstates.Ctl1, 4, 0xe3ffff0f, 0, "ECAP_L1PM+8.l", "L1 PM substates control 1");
            }
            if (caps.Find(ExtendedCapabilityId.Acs) is { } acs)
                Restore(acs.Offset + Acs.Ctrl, 2, 0x007f, 0, "ECAP_ACS+6.w", "ACS control");
            if (caps.Find(ExtendedCapabilityId.Ari) is { } ari)
                Restore(ari.Offset + Ari.Ctrl, 2, 0x0073, 0, "ECAP_ARI+6.w", "ARI control");
            if (caps.Find(CapabilityId.Msi) is { } msi) PlanMsi(msi.Offset);
            if (caps.Find(CapabilityId.MsiX) is { } msix)
            {
                ushort flags = ConfigBytes.U16(_snap, msix.Offset + MsiX.Flags);
                if ((flags & MsiX.FlagsEnable) != 0) Notes.Add("MSI-X enabled in the snapshot: left off (its driver enables it)");
                Write(msix.Offset + MsiX.Flags, 2, flags & (uint)MsiX.FlagsMaskAll, MsiX.FlagsMaskAll | MsiX.FlagsEnable, 0, "CAP_MSIX+2.w", "MSI-X control (enable off)");
            }
        }

        private void PlanExpress(int exp)
        {
            ushort flags = ConfigBytes.U16(_snap, exp + PciExpress.Flags);
            int version = flags & PciExpress.FlagsVersionMask;
            var type = PortType(exp);
            bool slot = (flags & PciExpress.FlagsSlot) != 0;
            bool link = version >= 2 || type is not (PciExpressPortType.RootIntegratedEndpoint or PciExpressPortType.RootComplexEventCollector);

            // Bit 15 is Initiate FLR except on PCIe-to-PCI bridges (Bridge Configuration Retry Enable).
            uint devCtlMask = type == PciExpressPortType.PciBridge ? 0xffffu : 0x7fffu;
            if (type != PciExpressPortType.PciBridge && (ConfigBytes.U16(_snap, exp + PciExpress.DevCtl) & PciExpress.DevCtlFlReset) != 0)
                Notes.Add("refused: snapshot DevCtl has Initiate FLR set; that bit is never written");
            Restore(exp + PciExpress.DevCtl, 2, devCtlMask, 0, "CAP_EXP+8.w", "PCIe DevCtl");
            if (link)
            {
                uint lnkCtlMask = 0xefdb; // not Retrain (an action) nor reserved bits 2 and 12
                if ((ConfigBytes.U16(_snap, exp + PciExpress.LnkCtl) & PciExpress.LnkCtlDisable) != 0)
                {
                    Notes.Add("refused: snapshot LnkCtl has Link Disable set; the link is left up");
                    lnkCtlMask &= ~(uint)PciExpress.LnkCtlDisable;
                }
                Restore(exp + PciExpress.LnkCtl, 2, lnkCtlMask, 0, "CAP_EXP+10.w", "PCIe LnkCtl");
            }
            if (slot) Restore(exp + PciExpress.SltCtl, 2, 0x7fff, 0, "CAP_EXP+18.w", "PCIe SltCtl");
            if (type is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector)
                Restore(exp + PciExpress.RootCtl, 2, 0x001f, 0, "CAP_EXP+1c.w", "PCIe RootCtl");
            if (version < 2) return;
            Restore(exp + PciExpress.DevCtl2, 2, 0xffff, 0, "CAP_EXP+28.w", "PCIe DevCtl2");
            if (link) Restore(exp + PciExpress.LnkCtl2, 2, 0xffff, 0, "CAP_EXP+30.w", "PCIe LnkCtl2");
            if (slot) Restore(exp + PciExpress.SltCtl2, 2, 0xffff, 0, "CAP_EXP+38.w", "PCIe SltCtl2");
        }

        private void PlanMsi(int msi)
        {
            ushort flags = ConfigBytes.U16(_snap, msi + Msi.Flags);
            bool is64 = (flags & Msi.Flags64Bit) != 0;
            Restore(msi + Msi.AddressLo, 4, 0xfffffffc, 0, "CAP_MSI+4.l", "MSI address");
            if (is64) Restore(msi + Msi.AddressHi, 4, 0xffffffff, 0, "CAP_MSI+8.l", "MSI address (high)");
            Restore(msi + (is64 ? Msi.Data64 : Msi.Data32), 2, 0xffff, 0, is64 ? "CAP_MSI+c.w" : "CAP_MSI+8.w", "MSI data");
            bool extData = (flags & Msi.FlagsExtData) != 0;
            if (extData)
                Restore(msi + (is64 ? Msi.Data64 : Msi.Data32) + 2, 2, 0xffff, 0, is64 ? "CAP_MSI+e.w" : "CAP_MSI+a.w", "MSI extended data");
            if ((flags & Msi.FlagsMaskBit) != 0)
                Restore(msi + (is64 ? Msi.Mask64 : Msi.Mask32), 4, 0xffffffff, 0, is64 ? "CAP_MSI+10.l" : "CAP_MSI+c.l", "MSI vector mask");
            if ((flags & Msi.FlagsEnable) != 0) Notes.Add("MSI enabled in the snapshot: left off (its driver enables it)");
            uint control = Msi.FlagsQsize | (extData ? Msi.FlagsExtDataEnable : 0u);
            Write(msi + Msi.Flags, 2, flags & control, control | Msi.FlagsEnable, 0, "CAP_MSI+2.w", "MSI control (enable off)");
        }

        private void PlanHeader()
        {
            var upperHalves = UpperBarHalves();
            foreach (var reg in HeaderRegisters.For(ConfigBytes.HeaderKind(_snap)))
            {
                if (reg.Offset + reg.Width > _snap.Length) continue;
                if (reg.Role == RegisterRole.Control)
                {
                    Restore(reg.Offset, reg.Width, reg.Mask, reg.Rw1c, reg.Name, reg.Name.ToLowerInvariant().Replace('_', ' '), reg.Force);
                    continue;
                }
                uint mask = reg.Mask;
                if (reg.Role == RegisterRole.Bar && reg.Name.StartsWith("BASE_ADDRESS_", StringComparison.Ordinal) && !upperHalves.Contains(reg.Offset))
                    mask = (ConfigBytes.U32(_snap, reg.Offset) & BaseAddress.SpaceIo) != 0 ? BaseAddress.IoMask : BaseAddress.MemMask;
                uint captured = Read(_snap, reg.Offset, reg.Width) & mask, present = Read(reg.Offset, reg.Width) & mask;
                if (captured != present && !_policy.MoveResources)
                {
                    if (_afterReset)
                    {
                        // The reset lost the assignment; the one the running kernel made (and holds in its resources) goes back.
                        Notes.Add($"{reg.Name} captured 0x{captured:x}, present 0x{present:x}: the present assignment is put back after the reset (policy moveResources)");
                        Write(reg.Offset, reg.Width, present, mask, reg.Rw1c, reg.Name, $"{reg.Role.ToString().ToLowerInvariant()} {reg.Name} (present assignment)", reg.Force, StepPhase.Header);
                        continue;
                    }
                    Notes.Add($"refused: {reg.Name} captured 0x{captured:x}, present 0x{present:x}: not moved (policy moveResources)");
                    continue;
                }
                Restore(reg.Offset, reg.Width, mask, reg.Rw1c, reg.Name, $"{reg.Role.ToString().ToLowerInvariant()} {reg.Name}", reg.Force);
            }
        }

        /// <summary>Offsets of the upper dwords of 64-bit BARs, from the captured type bits.</summary>
        private HashSet<int> UpperBarHalves()
        {
            var set = new HashSet<int>();
            int count = ConfigBytes.HeaderKind(_snap) switch { HeaderType.Normal => Type0.BarCount, HeaderType.Bridge => Type1.BarCount, _ => 0 };
            for (int i = 0; i < count; i++)
            {
                uint low = ConfigBytes.U32(_snap, Type0.BaseAddress0 + 4 * i);
                if ((low & BaseAddress.SpaceIo) == 0 && (low & BaseAddress.MemTypeMask) == BaseAddress.MemType64 && i + 1 < count)
                    set.Add(Type0.BaseAddress0 + 4 * ++i);
            }
            return set;
        }

        private void PlanCommand()
        {
            uint value = ConfigBytes.U16(_snap, Header.Command);
            string why = "Command, last";
            if (!IsBridge)
            {
                if (_policy.BusMaster == BusMasterPolicy.Off)
                {
                    if ((value & (uint)Command.BusMaster) != 0) Notes.Add("refused: Bus Master captured on: kept off until a driver enables it (policy busMaster off)");
                    value &= ~(uint)Command.BusMaster;
                    why += ", Bus Master off";
                }
                if (_policy.Intx == IntxPolicy.Disabled)
                {
                    value |= (uint)Command.IntxDisable;
                    why += ", INTx disabled until a driver enables it";
                }
            }
            Write(Header.Command, 2, value, HeaderRegisters.CommandMask, 0, "COMMAND", why, phase: StepPhase.Command);
        }

        private void Restore(int offset, int width, uint mask, uint rw1c, string register, string description, bool force = false, StepPhase phase = StepPhase.Capabilities)
        {
            if (offset + width > _snap.Length || offset + width > _proj.Length) return;
            Write(offset, width, Read(_snap, offset, width) & mask, mask, rw1c, register, description, force, phase);
        }

        private void Write(int offset, int width, uint value, uint mask, uint rw1c, string register, string description,
            bool force = false, StepPhase? phase = null)
        {
            if (offset + width > _proj.Length) return;
            var step = new PlanStep
            {
                Address = Address,
                Phase = phase ?? (_target == QuiesceSteps ? StepPhase.Quiesce : offset < Header.Size ? StepPhase.Header : StepPhase.Capabilities),
                Offset = offset, Width = width,
                Value = value & mask, Mask = mask | rw1c, Check = mask, Expected = value & mask,
                Register = register, Description = description, Force = force,
            };
            uint current = Read(offset, width);
            if (!force && !_afterReset && step.Satisfied(current)) return;
            _target.Add(step);
            // Write-1-to-clear bits are written as zero by the step: they keep what they hold.
            Store(offset, width, (step.Merge(current) & ~rw1c) | (current & rw1c));
        }

        private void Clear(int offset, int width, uint rw1c, string register, string description)
        {
            if (offset + width > _proj.Length) return;
            uint set = Read(offset, width) & rw1c;
            if (set == 0) return;
            _target.Add(new PlanStep
            {
                Address = Address, Phase = StepPhase.ClearErrors, Kind = StepKind.ClearStatus,
                Offset = offset, Width = width, Value = set, Mask = set, Check = set, Expected = 0,
                Register = register, Description = description,
            });
            Store(offset, width, Read(offset, width) & ~set);
        }

        private uint Read(int offset, int width) => Read(_proj, offset, width);

        private static uint Read(byte[] cfg, int offset, int width) => width switch
        {
            1 => ConfigBytes.U8(cfg, offset),
            2 => ConfigBytes.U16(cfg, offset),
            _ => ConfigBytes.U32(cfg, offset),
        };

        private void Store(int offset, int width, uint value)
        {
            for (int i = 0; i < width; i++) _proj[offset + i] = (byte)(value >> (8 * i));
        }
    }

    /// <summary>
    /// Where the "bridge" method (a Secondary Bus Reset through the parent bridge's Bridge Control) is allowed: the
    /// function's parent bridge is present, its slot is not hot-plug capable (pciehp would take the link going down
    /// for a removal), and every function on the buses below it is matched and may be reset by the policy (the reset
    /// hits all of them, and only those get restored).
    /// </summary>
    private sealed class ResetTopology
    {
        private readonly Dictionary<PciAddress, (PciAddress Bridge, IReadOnlyList<PciAddress> Below)> _ok = [];
        private readonly Dictionary<PciAddress, string> _why = [];

        public static ResetTopology Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy)
        {
            var t = new ResetTopology();
            if (!policy.ResetsAnything) return t;
            var resettable = new HashSet<PciAddress>();
            foreach (var m in matches)
                if (m.Kind == MatchKind.Matched && m.Record is not null && m.Present is not null
                    && ConfigBytes.HeaderKind(m.Present) == HeaderType.Normal
                    && policy.MayReset(DeviceIdentity.Of(m.Address, m.Present), m.Info?.BootVga, out _, out _))
                    resettable.Add(m.Address);
            var present = matches.Where(m => m.Kind != MatchKind.Missing).ToList();
            foreach (var m in present)
            {
                var cfg = m.Present ?? m.Record?.Config;
                if (cfg is null || cfg.Length < Header.Size || ConfigBytes.HeaderKind(cfg) != HeaderType.Bridge) continue;
                byte secondary = cfg[Type1.SecondaryBus], subordinate = cfg[Type1.SubordinateBus];
                if (secondary == 0 || subordinate < secondary) continue;
                var below = present.Where(o => o.Address.Domain == m.Address.Domain && o.Address.Bus >= secondary && o.Address.Bus <= subordinate)
                    .Select(o => o.Address).ToList();
                string? why = null;
                if (HotPlugSlot(cfg)) why = $"{m.Address} has a hot-plug slot";
                else if (below.Where(a => !resettable.Contains(a)).Select(a => (PciAddress?)a).FirstOrDefault() is { } blocker)
                    why = $"{blocker} below {m.Address} is not being reset";
                foreach (var a in below.Where(a => a.Bus == secondary))
                {
                    if (why is null) t._ok[a] = (m.Address, below);
                    else t._why[a] = why;
                }
            }
            return t;
        }

        public (PciAddress Bridge, IReadOnlyList<PciAddress> Below)? BridgeFor(PciAddress a) => _ok.TryGetValue(a, out var b) ? b : null;

        public string WhyNot(PciAddress a) => _why.TryGetValue(a, out var w) ? w : "no parent bridge present";

        private static bool HotPlugSlot(byte[] cfg)
        {
            if (CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp) return false;
            if ((ConfigBytes.U16(cfg, exp.Offset + PciExpress.Flags) & PciExpress.FlagsSlot) == 0) return false;
            return exp.Offset + PciExpress.SltCap + 4 <= cfg.Length && (ConfigBytes.U32(cfg, exp.Offset + PciExpress.SltCap) & 0x40) != 0; // Hot-Plug Capable
        }
    }
}
