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
    /// <summary>Functions that are not restored but quiesced (new, mismatched, no valid snapshot): Bus Master off,
    /// INTx disabled, MSI and MSI-X off. Their steps are quiesce steps only.</summary>
    public IReadOnlySet<PciAddress> QuiesceOnly { get; init; } = new HashSet<PciAddress>();
    /// <summary>Unmatched functions that were not quiesced either, and why (driver bound, a bridge, denied, policy).</summary>
    public IReadOnlyDictionary<PciAddress, string> NotQuiesced { get; init; } = new Dictionary<PciAddress, string>();
    /// <summary>Per restored device: registers not written because the capture does not hold all their bytes.</summary>
    public IReadOnlyDictionary<PciAddress, IReadOnlyList<string>> LeftOut { get; init; } = new Dictionary<PciAddress, IReadOnlyList<string>>();

    public IEnumerable<PlanStep> StepsFor(PciAddress address)
    {
        foreach (var s in Steps)
            if (s.Address == address) yield return s;
    }
}

/// <summary>
/// Builds the replay in the kernel's order (pci_restore_state(), pci_restore_pcie_state(), pci_restore_config_space()):
/// quiesce every unbound endpoint (restored or not), optional resets, then per device (bridges first): clear stale
/// errors, power state (policy), LTR, L1 PM substates with the link partner (pci_restore_aspm_l1ss_state()), the PCI
/// Express control registers, DPC, PTM, AER, ACS/ARI (policy), MSI/MSI-X with their enables off, the header from high
/// dwords to low, and Command last. Each step is compared with what the register will hold at that point (the
/// present bytes, projected through the steps before it), so equal registers are not written and the dry-run lists
/// exactly what the apply writes. Nothing is written from a byte the capture does not hold, and what the kernel owns
/// is left to it (<see cref="LeftAlone"/>).
/// </summary>
public static class ReplayPlanner
{
    public static ReplayPlan Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy)
    {
        var bus = BusTopology.Build(matches);
        var resets = ResetTopology.Build(matches, policy, bus);
        // Address order: a parent bridge is planned before what is below it (link partners, Max Payload Size).
        var planned = new Dictionary<PciAddress, DeviceSteps>();
        var quiesceOnly = new List<DeviceSteps>();
        var notQuiesced = new Dictionary<PciAddress, string>();
        var ordered = new List<DeviceMatch>(matches);
        ordered.Sort((a, b) => a.Address.CompareTo(b.Address));
        foreach (var m in ordered)
        {
            if (m.Kind == MatchKind.Matched && m.Record is not null && m.Present is not null)
                planned[m.Address] = DeviceSteps.Plan(m, policy, resets, bus, planned);
            else if (policy.QuiesceUnmatched && QuiesceCandidate(m, policy))
                quiesceOnly.Add(DeviceSteps.QuiesceOnly(m, policy));
            else if (m.Kind is MatchKind.New or MatchKind.Mismatch or MatchKind.NoSnapshot && WhyNotQuiesced(m, policy) is { } why)
                notQuiesced[m.Address] = why;
        }

        var restored = new List<DeviceSteps>(planned.Values);
        var steps = new List<PlanStep>();
        // Stop every endpoint's DMA and interrupts before anything else, then resets, then restore bridges before
        // the endpoints below them.
        var quiet = new List<DeviceSteps>(restored);
        quiet.AddRange(quiesceOnly);
        quiet.Sort((a, b) => a.Address.CompareTo(b.Address));
        foreach (var b in quiet) steps.AddRange(b.QuiesceSteps);
        foreach (var b in restored) steps.AddRange(b.ResetSteps);
        foreach (var b in restored)
            if (b.IsBridge) steps.AddRange(b.RestoreSteps);
        foreach (var b in restored)
            if (!b.IsBridge) steps.AddRange(b.RestoreSteps);
        var notes = new Dictionary<PciAddress, IReadOnlyList<string>>(restored.Count);
        var leftOut = new Dictionary<PciAddress, IReadOnlyList<string>>();
        foreach (var b in restored)
        {
            notes.Add(b.Address, b.FinishNotes());
            if (b.LeftOut.Count > 0) leftOut.Add(b.Address, b.LeftOut);
        }
        var quiesceOnlyAddresses = new HashSet<PciAddress>();
        foreach (var q in quiesceOnly) quiesceOnlyAddresses.Add(q.Address);
        return new ReplayPlan
        {
            Steps = steps,
            Matches = matches,
            Notes = notes,
            QuiesceOnly = quiesceOnlyAddresses,
            NotQuiesced = notQuiesced,
            LeftOut = leftOut,
        };
    }

    /// <summary>An endpoint present now that no record is replayed onto, with no driver and not denied: its DMA and
    /// interrupts are stopped all the same (bridges keep forwarding for what is below them).</summary>
    private static bool QuiesceCandidate(DeviceMatch m, ReplayPolicy policy) =>
        m.Kind is MatchKind.New or MatchKind.Mismatch or MatchKind.NoSnapshot
        && m.Present is { Length: >= Header.Size } cfg
        && ConfigBytes.VendorId(cfg) != 0xffff
        && ConfigBytes.HeaderKind(cfg) == HeaderType.Normal
        && m.Info?.Driver is not { Length: > 0 }
        && !policy.IsDenied(DeviceIdentity.Of(m.Address, cfg), out _);

    /// <summary>Why an unmatched function is not quiesced (for the report), or null when it is.</summary>
    private static string? WhyNotQuiesced(DeviceMatch m, ReplayPolicy policy)
    {
        if (m.Present is not { Length: >= Header.Size } cfg) return null;
        if (ConfigBytes.VendorId(cfg) == 0xffff) return "reads all ones: not quiesced";
        if (m.Info?.Driver is { Length: > 0 } driver) return $"driver bound: {driver}";
        if (ConfigBytes.HeaderKind(cfg) != HeaderType.Normal) return "a bridge: not quiesced (it forwards for the functions below it)";
        if (policy.IsDenied(DeviceIdentity.Of(m.Address, cfg), out string why)) return why;
        if (!policy.QuiesceUnmatched) return "not quiesced (policy quiesceUnmatched)";
        return null;
    }

    /// <summary>One device's steps, planned against a projection of its config space.</summary>
    private sealed class DeviceSteps
    {
        private readonly ReplayPolicy _policy;
        private readonly byte[] _snap;
        private readonly KnownBytes _known;
        private readonly Projection _proj;
        // The function's layout and read-only fields (header type, capability list, PCI Express and MSI flags, BAR
        // types): the captured bytes where captured, else as read now (matching showed both agree where both exist).
        private readonly byte[] _layout;
        private readonly HeaderType _type;
        private readonly CapabilityWalker.Result _caps;
        private readonly List<string> _notes = [];
        private readonly List<string> _notCaptured = [];
        private bool _afterReset;
        private List<PlanStep> _target;

        public PciAddress Address { get; }
        public bool IsBridge { get; }
        public List<PlanStep> QuiesceSteps { get; } = [];
        public List<PlanStep> ResetSteps { get; } = [];
        public List<PlanStep> RestoreSteps { get; } = [];
        public List<string> LeftOut { get; } = [];
        /// <summary>Max Payload Size (encoded, 128 &lt;&lt; n) this function has after the replay; null when not PCI Express.</summary>
        public int? FinalMps { get; private set; }

        private DeviceSteps(DeviceMatch m, ReplayPolicy policy)
        {
            _policy = policy;
            Address = m.Address;
            byte[] present = m.Present!;
            _proj = new Projection(present);
            _snap = m.Record?.Config ?? [];
            _known = m.Known ?? KnownBytes.All(0);
            // The layout is read, never written: a capture held whole and as long as the function is the layout itself.
            if (_snap.Length == present.Length && _known.Length == _snap.Length && _known.IsComplete) _layout = _snap;
            else
            {
                _layout = (byte[])present.Clone();
                _known.CopyKnown(_snap, _layout);
            }
            _type = ConfigBytes.HeaderKind(_layout);
            _caps = CapabilityWalker.Walk(_layout);
            IsBridge = _type != HeaderType.Normal;
            _target = QuiesceSteps;
        }

        public static DeviceSteps QuiesceOnly(DeviceMatch m, ReplayPolicy policy)
        {
            var d = new DeviceSteps(m, policy);
            d.PlanQuiesce(decodeOff: false);
            return d;
        }

        public static DeviceSteps Plan(DeviceMatch m, ReplayPolicy policy, ResetTopology resets, BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            var d = new DeviceSteps(m, policy);
            if (!d.IsBridge) d.PlanQuiesce(decodeOff: true);
            d._target = d.ResetSteps;
            d.PlanReset(m, resets);
            d._target = d.RestoreSteps;
            if (m.Record!.Truncated)
                d._notes.Add($"capture truncated to {d._snap.Length} bytes (read without CAP_SYS_ADMIN?): registers above 0x{d._snap.Length - 1:x} left as found");
            if (policy.ClearErrorStatus) d.PlanClearErrors();
            d.PlanCapabilities(bus, planned);
            d.PlanHeader();
            d.PlanCommand();
            return d;
        }

        /// <summary>Bus Master off and INTx Disable on (memory and I/O decode off too when the function is restored
        /// afterwards), MSI off, MSI-X masked then off: no DMA and no interrupt once this is done.</summary>
        private void PlanQuiesce(bool decodeOff)
        {
            uint mask = (uint)(Command.BusMaster | Command.IntxDisable) | (decodeOff ? (uint)(Command.Memory | Command.Io) : 0);
            Write(Header.Command, 2, (uint)Command.IntxDisable, mask, 0, "COMMAND",
                decodeOff ? "quiesce: Bus Master, memory and I/O decode off, INTx disabled" : "quiesce: Bus Master off, INTx disabled");
            if (_caps.Find(CapabilityId.Msi) is { } msi)
                Write(msi.Offset + Msi.Flags, 2, 0, Msi.FlagsEnable, 0, "CAP_MSI+2.w", "quiesce: MSI off");
            if (_caps.Find(CapabilityId.MsiX) is { } msix && (Read(msix.Offset + MsiX.Flags, 2) & MsiX.FlagsEnable) != 0)
            {
                // Mask every vector first, then disable: no interrupt slips out between the two.
                Write(msix.Offset + MsiX.Flags, 2, MsiX.FlagsMaskAll, MsiX.FlagsMaskAll, 0, "CAP_MSIX+2.w", "quiesce: MSI-X Function Mask");
                Write(msix.Offset + MsiX.Flags, 2, 0, MsiX.FlagsEnable, 0, "CAP_MSIX+2.w", "quiesce: MSI-X off");
            }
        }

        private void PlanReset(DeviceMatch m, ResetTopology topology)
        {
            if (topology.Methods(Address) is not { } plan)
            {
                if (topology.WhyNotReset(Address) is { } why) _notes.Add($"not reset: {why}");
                return;
            }
            ResetSteps.Add(new PlanStep
            {
                Address = Address, Phase = StepPhase.Reset, Kind = StepKind.Reset, ResetMethods = plan.Methods,
                ResetBridge = plan.Bridge, ResetGroup = plan.Below,
                Description = $"reset by {string.Join(", else ", plan.Methods)} (policy), verified from config space",
            });
            _afterReset = true; // what the registers hold after it is unknown here: plan every restore write
        }

        private void PlanClearErrors()
        {
            Clear(Header.Status, 2, (uint)Status.ErrorBits, "STATUS", "clear stale error status");
            if (_type == HeaderType.Bridge)
                Clear(Type1.SecStatus, 2, (uint)Status.ErrorBits, "SEC_STATUS", "clear stale secondary error status");
            if (_caps.Find(CapabilityId.Express) is { } exp)
                Clear(exp.Offset + PciExpress.DevSta, 2, PciExpress.DevStaErrorBits, "CAP_EXP+a.w", "clear stale DevSta errors");
            if (_caps.Find(ExtendedCapabilityId.Aer) is { } aer)
            {
                Clear(aer.Offset + Aer.UncorStatus, 4, 0xffffffff, "ECAP_AER+4.l", "clear stale AER uncorrectable status");
                Clear(aer.Offset + Aer.CorStatus, 4, 0xffffffff, "ECAP_AER+10.l", "clear stale AER correctable status");
                if (IsRootPortOrRcec())
                    Clear(aer.Offset + Aer.RootStatus, 4, 0x7f, "ECAP_AER+30.l", "clear stale AER root status");
            }
        }

        private bool IsRootPortOrRcec() => PortType is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector;

        private PciExpressPortType? PortType => _caps.Find(CapabilityId.Express) is { } exp
            ? (PciExpressPortType)((ConfigBytes.U16(_layout, exp.Offset + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4) : null;

        private void PlanCapabilities(BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            if (_caps.Find(CapabilityId.PowerManagement) is { } pm) PlanPowerState(pm.Offset);
            // pci_restore_pcie_state(): LTR's latencies (one dword, as the kernel writes them) before LTR Enable in
            // DevCtl2; then L1 PM substates with the link partner; then the PCI Express control registers.
            if (_caps.Find(ExtendedCapabilityId.Ltr) is { } ltr)
                Restore(ltr.Offset + Ltr.MaxSnoopLatency, 4, 0x1fff1fff, 0, "ECAP_LTR+4.l", "LTR max snoop and no-snoop latencies");
            if (_caps.Find(ExtendedCapabilityId.L1PmSubstates) is { } l1ss) PlanL1Substates(l1ss.Offset, bus, planned);
            if (_caps.Find(CapabilityId.Express) is { } exp) PlanExpress(exp.Offset, bus, planned);
            if (_caps.Find(ExtendedCapabilityId.Dpc) is { } dpc)
                Restore(dpc.Offset + Dpc.Ctrl, 2, 0x01ff & ~LeftAlone.DpcControlNever, 0, "ECAP_DPC+6.w", "DPC control");
            if (_caps.Find(ExtendedCapabilityId.Ptm) is { } ptm)
                Restore(ptm.Offset + Ptm.Ctrl, 4, 0x0000ff03, 0, "ECAP_PTM+8.l", "PTM control");
            if (_caps.Find(ExtendedCapabilityId.Aer) is { } aer)
            {
                Restore(aer.Offset + Aer.UncorMask, 4, 0xffffffff, 0, "ECAP_AER+8.l", "AER uncorrectable error mask");
                Restore(aer.Offset + Aer.UncorSeverity, 4, 0xffffffff, 0, "ECAP_AER+c.l", "AER uncorrectable error severity");
                Restore(aer.Offset + Aer.CorMask, 4, 0xffffffff, 0, "ECAP_AER+14.l", "AER correctable error mask");
                Restore(aer.Offset + Aer.Cap, 4, Aer.CapEcrcGenEnable | Aer.CapEcrcCheckEnable | 0x400, 0, "ECAP_AER+18.l", "AER ECRC and header-log enables");
                if (IsRootPortOrRcec())
                    Restore(aer.Offset + Aer.RootCommand, 4, 0x7, 0, "ECAP_AER+2c.l", "AER root error reporting enables");
            }
            if (_caps.Find(ExtendedCapabilityId.Acs) is { } acs)
                KernelOwned(acs.Offset + Acs.Ctrl, 2, 0x007f, "ECAP_ACS+6.w", "ACS control", _policy.RestoreAcs, "the kernel sets it by its IOMMU policy (pci_enable_acs); policy restoreAcs");
            if (_caps.Find(ExtendedCapabilityId.Ari) is { } ari)
                KernelOwned(ari.Offset + Ari.Ctrl, 2, 0x0073, "ECAP_ARI+6.w", "ARI control", _policy.RestoreAri, "the kernel's (pci_configure_ari); policy restoreAri");
            if (_caps.Find(CapabilityId.Msi) is { } msi) PlanMsi(msi.Offset);
            if (_caps.Find(CapabilityId.MsiX) is { } msix && Captured(msix.Offset + MsiX.Flags, 2, "CAP_MSIX+2.w") is { } flags)
            {
                if ((flags & MsiX.FlagsEnable) != 0) _notes.Add("MSI-X enabled in the snapshot: left off (its driver enables it)");
                Write(msix.Offset + MsiX.Flags, 2, flags & MsiX.FlagsMaskAll, MsiX.FlagsMaskAll | MsiX.FlagsEnable, 0, "CAP_MSIX+2.w", "MSI-X control (enable off)");
            }
        }

        /// <summary>A register the kernel owns: restored only when the policy asks, else a note when it differs.</summary>
        private void KernelOwned(int offset, int width, uint mask, string register, string name, bool restore, string why)
        {
            if (restore) { Restore(offset, width, mask, 0, register, name); return; }
            if (_known.Covers(offset, width) && offset + width <= _proj.Length && (ReadSnap(offset, width) & mask) != (Read(offset, width) & mask))
                _notes.Add($"{name} 0x{Read(offset, width) & mask:x} now, 0x{ReadSnap(offset, width) & mask:x} captured: left to the kernel ({why})");
        }

        /// <summary>
        /// PM Control: no D-state change unless the policy asks (the kernel's pci_set_power_state() owns it). With
        /// <see cref="ReplayPolicy.RestorePowerState"/> the captured state and PME Enable go back first, followed by the
        /// spec's wait (10 ms when D3hot is either end, 200 µs for D2); leaving D3hot for D0 resets a function whose
        /// No_Soft_Reset bit is clear, so everything after it is planned from scratch.
        /// </summary>
        private void PlanPowerState(int pm)
        {
            int at = pm + PowerManagement.Ctrl;
            if (!_known.Covers(at, 2) || at + 2 > _proj.Length) { NotCaptured("CAP_PM+4.w", at, 2); return; }
            uint now = Read(at, 2), captured = ReadSnap(at, 2);
            int from = (int)(now & PowerManagement.CtrlStateMask), to = (int)(captured & PowerManagement.CtrlStateMask);
            if (!_policy.RestorePowerState)
            {
                if (from != to) _notes.Add($"power state D{from} now, D{to} captured: no D-state change (the kernel owns it; policy restorePowerState)");
                return;
            }
            var settle = from == to ? TimeSpan.Zero
                : from == 3 || to == 3 ? TimeSpan.FromMilliseconds(10)
                : from == 2 || to == 2 ? TimeSpan.FromMicroseconds(200) : TimeSpan.Zero;
            Restore(at, 2, LeftAlone.PmControlKernelOwned, PowerManagement.CtrlPmeStatus, "CAP_PM+4.w",
                $"power state D{to} and PME enable (policy restorePowerState)", settle: settle);
            if (from == 3 && to == 0 && (now & PowerManagement.CtrlNoSoftReset) == 0)
            {
                _notes.Add("D3hot to D0 resets this function (No_Soft_Reset clear): every register rewritten after it");
                _afterReset = true;
            }
        }

        /// <summary>
        /// L1 PM substates, as pci_restore_aspm_l1ss_state() does it, from the downstream component (an endpoint or a
        /// switch upstream port) and only together with its link partner (the parent port, restored too): ASPM off on
        /// both ends, L1.2 disabled downstream first, thresholds and T_POWER_ON without the L1.2 enables (upstream
        /// first), then the enables (upstream first), then both LnkCtl back. The port alone is never restored.
        /// </summary>
        private void PlanL1Substates(int l1ss, BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            int ctl1 = l1ss + L1PmSubstates.Ctl1, ctl2 = l1ss + L1PmSubstates.Ctl2;
            const uint ctl1Mask = 0xe3ffff0f, ctl2Mask = 0x000000fb;
            if (PortType is PciExpressPortType.RootPort or PciExpressPortType.Downstream or PciExpressPortType.PcieBridge)
            {
                if (_known.Covers(ctl1, 8) && ctl2 + 4 <= _proj.Length
                    && ((ReadSnap(ctl1, 4) ^ Read(ctl1, 4)) & ctl1Mask | (ReadSnap(ctl2, 4) ^ Read(ctl2, 4)) & ctl2Mask) != 0)
                    _notes.Add("L1 PM substates: restored only with the downstream component of the link (none restored below)");
                return;
            }
            var parentAddress = bus.Parent(Address);
            DeviceSteps? p = parentAddress is { } pa && planned.TryGetValue(pa, out var found) ? found : null;
            string? why = parentAddress is null ? "no parent port present"
                : p is null ? $"its link partner {parentAddress} is not restored (driver bound, denied or not matched)"
                : p._caps.Find(ExtendedCapabilityId.L1PmSubstates) is null ? $"its link partner {parentAddress} has no L1 PM substates"
                : p._caps.Find(CapabilityId.Express) is null || _caps.Find(CapabilityId.Express) is null ? "not PCI Express on both ends"
                : null;
            if (why is not null || p is null)
            {
                _notes.Add($"L1 PM substates left as found: {why}");
                return;
            }
            int pctl1 = p._caps.Find(ExtendedCapabilityId.L1PmSubstates)!.Value.Offset + L1PmSubstates.Ctl1, pctl2 = pctl1 + 4;
            int lnk = _caps.Find(CapabilityId.Express)!.Value.Offset + PciExpress.LnkCtl, plnk = p._caps.Find(CapabilityId.Express)!.Value.Offset + PciExpress.LnkCtl;
            if (!_known.Covers(ctl1, 8) || !p._known.Covers(pctl1, 8) || ctl2 + 4 > _proj.Length || pctl2 + 4 > p._proj.Length)
            {
                NotCaptured("ECAP_L1PM+8.l", ctl1, 8);
                return;
            }
            uint cl1 = ReadSnap(ctl1, 4) & ctl1Mask, cl2 = ReadSnap(ctl2, 4) & ctl2Mask;
            uint pl1 = p.ReadSnap(pctl1, 4) & ctl1Mask, pl2 = p.ReadSnap(pctl2, 4) & ctl2Mask;
            bool differs = (Read(ctl1, 4) & ctl1Mask) != cl1 || (Read(ctl2, 4) & ctl2Mask) != cl2
                || (p.Read(pctl1, 4) & ctl1Mask) != pl1 || (p.Read(pctl2, 4) & ctl2Mask) != pl2;
            if (!differs && !_afterReset) return;

            const uint aspm = PciExpress.LnkCtlAspmMask, l12 = LeftAlone.L1ssL12Enables;
            uint clnk = Read(lnk, 2), plnkNow = p.Read(plnk, 2);
            bool window = ((clnk | plnkNow) & aspm) != 0;
            p.WriteFor(this, () =>
            {
                if (window)
                {
                    Write(lnk, 2, 0, aspm, 0, "CAP_EXP+10.w", "ASPM off on both ends before L1 PM substates change (downstream)");
                    p.Write(plnk, 2, 0, aspm, 0, "CAP_EXP+10.w", "ASPM off on both ends before L1 PM substates change (upstream)");
                }
                Write(ctl1, 4, 0, l12, 0, "ECAP_L1PM+8.l", "L1.2 disabled on the downstream component first");
                p.Write(pctl1, 4, 0, l12, 0, "ECAP_L1PM+8.l", "then L1.2 disabled upstream");
                p.Write(pctl2, 4, pl2, ctl2Mask, 0, "ECAP_L1PM+c.l", "L1 PM substates control 2 (T_POWER_ON), upstream");
                Write(ctl2, 4, cl2, ctl2Mask, 0, "ECAP_L1PM+c.l", "L1 PM substates control 2 (T_POWER_ON)");
                p.Write(pctl1, 4, pl1 & ~l12, ctl1Mask, 0, "ECAP_L1PM+8.l", "L1.2 threshold and common-mode restore time without the L1.2 enables, upstream");
                Write(ctl1, 4, cl1 & ~l12, ctl1Mask, 0, "ECAP_L1PM+8.l", "L1.2 threshold and common-mode restore time without the L1.2 enables");
                if (((pl1 | cl1) & l12) != 0)
                {
                    p.Write(pctl1, 4, pl1, ctl1Mask, 0, "ECAP_L1PM+8.l", "L1 PM substates enables, upstream first");
                    Write(ctl1, 4, cl1, ctl1Mask, 0, "ECAP_L1PM+8.l", "L1 PM substates enables");
                }
                if (window)
                {
                    p.Write(plnk, 2, plnkNow & aspm, aspm, 0, "CAP_EXP+10.w", "ASPM back on the upstream end");
                    Write(lnk, 2, clnk & aspm, aspm, 0, "CAP_EXP+10.w", "ASPM back (LnkCtl itself is restored next)");
                }
            });
        }

        /// <summary>Runs <paramref name="plan"/> with this device's writes going into <paramref name="owner"/>'s
        /// restore steps (the link partner's L1 PM substates steps sit in the downstream component's sequence).</summary>
        private void WriteFor(DeviceSteps owner, Action plan)
        {
            var saved = _target;
            _target = owner.RestoreSteps;
            _linkPartnerOf = owner;
            try { plan(); }
            finally { _target = saved; _linkPartnerOf = null; }
        }

        private DeviceSteps? _linkPartnerOf;

        private void PlanExpress(int exp, BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            ushort flags = ConfigBytes.U16(_layout, exp + PciExpress.Flags);
            int version = flags & PciExpress.FlagsVersionMask;
            var type = (PciExpressPortType)((flags & PciExpress.FlagsTypeMask) >> 4);
            bool slot = (flags & PciExpress.FlagsSlot) != 0;
            bool link = version >= 2 || type is not (PciExpressPortType.RootIntegratedEndpoint or PciExpressPortType.RootComplexEventCollector);

            PlanDevCtl(exp, type, bus, planned);
            if (link)
            {
                uint lnkCtlMask = 0xffff & ~LeftAlone.LnkCtlNever;
                if (_known.Covers(exp + PciExpress.LnkCtl, 2) && (ReadSnap(exp + PciExpress.LnkCtl, 2) & PciExpress.LnkCtlDisable) != 0)
                {
                    _notes.Add("refused: snapshot LnkCtl has Link Disable set; the link is left up");
                    lnkCtlMask &= ~(uint)PciExpress.LnkCtlDisable;
                }
                Restore(exp + PciExpress.LnkCtl, 2, lnkCtlMask, 0, "CAP_EXP+10.w", "PCIe LnkCtl");
            }
            if (slot) Restore(exp + PciExpress.SltCtl, 2, 0x7fff, 0, "CAP_EXP+18.w", "PCIe SltCtl");
            if (type is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector)
                Restore(exp + PciExpress.RootCtl, 2, 0x001f, 0, "CAP_EXP+1c.w", "PCIe RootCtl");
            if (version < 2) return;
            int devCtl2 = exp + PciExpress.DevCtl2;
            uint devCtl2Mask = _policy.RestoreAri ? 0xffffu : 0xffff & ~LeftAlone.DevCtl2AriForwarding;
            if (!_policy.RestoreAri && _known.Covers(devCtl2, 2) && devCtl2 + 2 <= _proj.Length
                && ((ReadSnap(devCtl2, 2) ^ Read(devCtl2, 2)) & LeftAlone.DevCtl2AriForwarding) != 0)
                _notes.Add("DevCtl2 ARI Forwarding Enable differs from the capture: left to the kernel (pci_configure_ari; policy restoreAri)");
            Restore(devCtl2, 2, devCtl2Mask, 0, "CAP_EXP+28.w", "PCIe DevCtl2");
            if (link) Restore(exp + PciExpress.LnkCtl2, 2, 0xffff, 0, "CAP_EXP+30.w", "PCIe LnkCtl2");
            if (slot) Restore(exp + PciExpress.SltCtl2, 2, 0xffff, 0, "CAP_EXP+38.w", "PCIe SltCtl2");
        }

        /// <summary>
        /// DevCtl as captured, except: Initiate FLR is never written (bit 15 outside PCIe-to-PCI bridges, where it is
        /// Bridge Configuration Retry Enable), and Max Payload Size stays what the kernel set at enumeration
        /// (pci_configure_mps: the parent port's), lowered to the parent port's when larger, never raised.
        /// </summary>
        private void PlanDevCtl(int exp, PciExpressPortType type, BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            int at = exp + PciExpress.DevCtl;
            if (at + 2 > _proj.Length) return;
            int mps = (int)(Read(at, 2) & LeftAlone.DevCtlMaxPayload) >> 5;
            if (ParentMps(bus, planned) is { } parentMps && parentMps < mps)
            {
                _notes.Add($"Max Payload Size lowered to the parent port's {128 << parentMps} bytes (was {128 << mps})");
                mps = parentMps;
            }
            FinalMps = mps;
            uint mask = type == PciExpressPortType.PciBridge ? 0xffffu : 0xffff & ~LeftAlone.DevCtlInitiateFlr;
            if (!_known.Covers(at, 2)) { NotCaptured("CAP_EXP+8.w", at, 2); return; }
            uint captured = ReadSnap(at, 2);
            if (type != PciExpressPortType.PciBridge && (captured & LeftAlone.DevCtlInitiateFlr) != 0)
                _notes.Add("refused: snapshot DevCtl has Initiate FLR set; that bit is never written");
            if ((int)(captured & LeftAlone.DevCtlMaxPayload) >> 5 != mps)
                _notes.Add($"Max Payload Size kept at {128 << mps} bytes (the kernel's, from the parent port), captured {128 << (int)((captured & LeftAlone.DevCtlMaxPayload) >> 5)}");
            uint value = (captured & ~LeftAlone.DevCtlMaxPayload) | (uint)(mps << 5);
            Write(at, 2, value & mask, mask, 0, "CAP_EXP+8.w", "PCIe DevCtl");
        }

        /// <summary>The parent port's Max Payload Size after the replay, when the parent is a PCI Express port.</summary>
        private int? ParentMps(BusTopology bus, IReadOnlyDictionary<PciAddress, DeviceSteps> planned)
        {
            if (bus.Parent(Address) is not { } parent) return null;
            if (planned.TryGetValue(parent, out var p)) return p.FinalMps;
            if (bus.Config(parent) is not { } cfg || CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp) return null;
            int at = exp.Offset + PciExpress.DevCtl;
            return at + 2 <= cfg.Length ? (int)(ConfigBytes.U16(cfg, at) & LeftAlone.DevCtlMaxPayload) >> 5 : null;
        }

        private void PlanMsi(int msi)
        {
            ushort flags = ConfigBytes.U16(_layout, msi + Msi.Flags);
            bool is64 = (flags & Msi.Flags64Bit) != 0;
            Restore(msi + Msi.AddressLo, 4, 0xfffffffc, 0, "CAP_MSI+4.l", "MSI address");
            if (is64) Restore(msi + Msi.AddressHi, 4, 0xffffffff, 0, "CAP_MSI+8.l", "MSI address (high)");
            Restore(msi + (is64 ? Msi.Data64 : Msi.Data32), 2, 0xffff, 0, is64 ? "CAP_MSI+c.w" : "CAP_MSI+8.w", "MSI data");
            bool extData = (flags & Msi.FlagsExtData) != 0;
            if (extData)
                Restore(msi + (is64 ? Msi.Data64 : Msi.Data32) + 2, 2, 0xffff, 0, is64 ? "CAP_MSI+e.w" : "CAP_MSI+a.w", "MSI extended data");
            if ((flags & Msi.FlagsMaskBit) != 0)
                Restore(msi + (is64 ? Msi.Mask64 : Msi.Mask32), 4, 0xffffffff, 0, is64 ? "CAP_MSI+10.l" : "CAP_MSI+c.l", "MSI vector mask");
            if (Captured(msi + Msi.Flags, 2, "CAP_MSI+2.w") is not { } captured) return;
            if ((captured & Msi.FlagsEnable) != 0) _notes.Add("MSI enabled in the snapshot: left off (its driver enables it)");
            uint control = Msi.FlagsQsize | (extData ? Msi.FlagsExtDataEnable : 0u);
            Write(msi + Msi.Flags, 2, captured & control, control | Msi.FlagsEnable, 0, "CAP_MSI+2.w", "MSI control (enable off)");
        }

        private void PlanHeader()
        {
            var upperHalves = UpperBarHalves();
            foreach (var reg in HeaderRegisters.For(_type))
            {
                if (reg.Offset + reg.Width > _snap.Length) continue;
                if (reg.Role == RegisterRole.Control)
                {
                    Restore(reg.Offset, reg.Width, reg.Mask, reg.Rw1c, reg.Name, reg.Description, reg.Force);
                    continue;
                }
                if (!_known.Covers(reg.Offset, reg.Width)) { NotCaptured(reg.Name, reg.Offset, reg.Width); continue; }
                uint mask = reg.Mask;
                if (reg.Role == RegisterRole.Bar && reg.Name.StartsWith("BASE_ADDRESS_", StringComparison.Ordinal) && !upperHalves.Contains(reg.Offset))
                    mask = (ConfigBytes.U32(_layout, reg.Offset) & BaseAddress.SpaceIo) != 0 ? BaseAddress.IoMask : BaseAddress.MemMask;
                uint captured = ReadSnap(reg.Offset, reg.Width) & mask, present = Read(reg.Offset, reg.Width) & mask;
                if (captured != present && !_policy.MoveResources)
                {
                    if (_afterReset)
                    {
                        // The reset lost the assignment; the one the running kernel made (and holds in its resources) goes back.
                        _notes.Add($"{reg.Name} captured 0x{captured:x}, present 0x{present:x}: the present assignment is put back after the reset (policy moveResources)");
                        Write(reg.Offset, reg.Width, present, mask, reg.Rw1c, reg.Name, $"{reg.Description} (present assignment)", reg.Force, StepPhase.Header);
                        continue;
                    }
                    _notes.Add($"refused: {reg.Name} captured 0x{captured:x}, present 0x{present:x}: not moved (policy moveResources)");
                    continue;
                }
                Restore(reg.Offset, reg.Width, mask, reg.Rw1c, reg.Name, reg.Description, reg.Force);
            }
        }

        /// <summary>Offsets of the upper dwords of 64-bit BARs, from the (read-only) type bits.</summary>
        private HashSet<int> UpperBarHalves()
        {
            var set = new HashSet<int>();
            int count = _type switch { HeaderType.Normal => Type0.BarCount, HeaderType.Bridge => Type1.BarCount, _ => 0 };
            for (int i = 0; i < count; i++)
            {
                uint low = ConfigBytes.U32(_layout, Type0.BaseAddress0 + 4 * i);
                if ((low & BaseAddress.SpaceIo) == 0 && (low & BaseAddress.MemTypeMask) == BaseAddress.MemType64 && i + 1 < count)
                    set.Add(Type0.BaseAddress0 + 4 * ++i);
            }
            return set;
        }

        private void PlanCommand()
        {
            if (Captured(Header.Command, 2, "COMMAND") is not { } value)
            {
                _notes.Add("Command not captured: left as the quiesce set it");
                return;
            }
            string why = "Command, last";
            if (!IsBridge)
            {
                if (_policy.BusMaster == BusMasterPolicy.Off)
                {
                    if ((value & (uint)Command.BusMaster) != 0) _notes.Add("refused: Bus Master captured on: kept off until a driver enables it (policy busMaster off)");
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

        /// <summary>The captured value of a register, or null (noted) when the capture does not hold all its bytes.</summary>
        private uint? Captured(int offset, int width, string register)
        {
            if (offset + width > _proj.Length) return null;
            if (_known.Covers(offset, width)) return ReadSnap(offset, width);
            NotCaptured(register, offset, width);
            return null;
        }

        private void NotCaptured(string register, int offset, int width)
        {
            if (offset + width > _proj.Length) return; // not in the function as it is either
            string name = SetpciNames.For(register, offset, width, _type);
            if (_notCaptured.Contains(name)) return;
            _notCaptured.Add(name);
            int first = offset, last = offset + width - 1;
            while (first < last && _known.IsKnown(first)) first++;
            while (last > first && _known.IsKnown(last)) last--;
            LeftOut.Add($"{name}: byte(s) {KnownBytes.Describe(first, last - first + 1)} not captured");
        }

        /// <summary>The notes, with one line for the registers left out because the capture did not hold them.</summary>
        public IReadOnlyList<string> FinishNotes()
        {
            if (_notCaptured.Count == 0) return _notes;
            return [.. _notes, $"left out, not captured: {string.Join(", ", _notCaptured)}"];
        }

        private void Restore(int offset, int width, uint mask, uint rw1c, string register, string description, bool force = false,
            StepPhase? phase = null, TimeSpan settle = default)
        {
            if (offset + width > _proj.Length) return;
            if (!_known.Covers(offset, width)) { NotCaptured(register, offset, width); return; }
            Write(offset, width, ReadSnap(offset, width) & mask, mask, rw1c, register, description, force, phase, settle);
        }

        private void Write(int offset, int width, uint value, uint mask, uint rw1c, string register, string description,
            bool force = false, StepPhase? phase = null, TimeSpan settle = default)
        {
            if (offset + width > _proj.Length) return;
            uint current = Read(offset, width);
            // Already holding the wanted bits (PlanStep.Satisfied, checked before the step is made: most are).
            if (!force && !_afterReset && (current & mask) == (value & mask)) return;
            var step = new PlanStep
            {
                Address = Address,
                Phase = phase ?? (_target == QuiesceSteps ? StepPhase.Quiesce
                    : _linkPartnerOf is not null ? StepPhase.LinkPartner
                    : offset < Header.Size ? StepPhase.Header : StepPhase.Capabilities),
                Offset = offset, Width = width,
                Value = value & mask, Mask = mask | rw1c, Check = mask, Expected = value & mask,
                Register = SetpciNames.For(register, offset, width, _type), Description = description, Force = force, Settle = settle,
            };
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
                Register = SetpciNames.For(register, offset, width, _type), Description = description,
            });
            Store(offset, width, Read(offset, width) & ~set);
        }

        private uint Read(int offset, int width) => _proj.Read(offset, width);

        private uint ReadSnap(int offset, int width) => Read(_snap, offset, width);

        private static uint Read(byte[] cfg, int offset, int width) => width switch
        {
            1 => ConfigBytes.U8(cfg, offset),
            2 => ConfigBytes.U16(cfg, offset),
            _ => ConfigBytes.U32(cfg, offset),
        };

        private void Store(int offset, int width, uint value) => _proj.Store(offset, width, value);
    }

    /// <summary>
    /// What one function's config space will hold at a point of the plan: the bytes as read now with every step
    /// before it applied. A 256-byte block is copied the first time a step changes it: most functions change the
    /// header and a capability or two, and cloning each 4 KiB space was a third of what planning allocated.
    /// </summary>
    private sealed class Projection(byte[] present)
    {
        private const int BlockSize = 256;
        private readonly byte[]?[] _blocks = new byte[]?[(present.Length + BlockSize - 1) / BlockSize];

        public int Length => present.Length;

        /// <summary>1, 2 or 4 (any other width) bytes, little-endian; all ones past the end, as <see cref="ConfigBytes"/>.</summary>
        public uint Read(int offset, int width)
        {
            width = width is 1 or 2 ? width : 4;
            if (offset < 0 || offset + width > present.Length) return width == 1 ? 0xffu : width == 2 ? 0xffffu : 0xffffffffu;
            int block = offset / BlockSize;
            if (block == (offset + width - 1) / BlockSize)
                return _blocks[block] is { } copied ? Register(copied, offset % BlockSize, width) : Register(present, offset, width);
            // Across two blocks (no register is, being aligned): byte by byte.
            uint value = 0;
            for (int i = width - 1; i >= 0; i--) value = value << 8 | Byte(offset + i);
            return value;
        }

        public void Store(int offset, int width, uint value)
        {
            for (int i = 0; i < width; i++)
            {
                int at = offset + i, block = at / BlockSize;
                var bytes = _blocks[block] ??= present.AsSpan(block * BlockSize, Math.Min(BlockSize, present.Length - block * BlockSize)).ToArray();
                bytes[at % BlockSize] = (byte)(value >> (8 * i));
            }
        }

        private static uint Register(byte[] bytes, int offset, int width) =>
            width == 1 ? ConfigBytes.U8(bytes, offset) : width == 2 ? ConfigBytes.U16(bytes, offset) : ConfigBytes.U32(bytes, offset);

        private byte Byte(int at) => _blocks[at / BlockSize] is { } block ? block[at % BlockSize] : present[at];
    }

    /// <summary>
    /// Which functions get a reset step and by which methods. A reset reaches more than the function asked for when
    /// it is the "bridge" method (a Secondary Bus Reset through the parent bridge's Bridge Control): every function on
    /// the buses below that bridge. So it is planned only when the parent bridge is present, its slot is not hot-plug
    /// capable (pciehp would take the link going down for a removal), and every function below it gets a reset step
    /// of its own (matched, an endpoint, allowed by the policy, with a method it can use): each of those is restored
    /// from scratch after the resets. Otherwise the bridge method is not used.
    /// </summary>
    private sealed class ResetTopology
    {
        public sealed record Plan(IReadOnlyList<string> Methods, PciAddress? Bridge, IReadOnlyList<PciAddress> Below);

        private readonly Dictionary<PciAddress, Plan> _plans = [];
        private readonly Dictionary<PciAddress, string> _whyNot = [];

        public Plan? Methods(PciAddress a) => _plans.GetValueOrDefault(a);

        public string? WhyNotReset(PciAddress a) => _whyNot.GetValueOrDefault(a);

        public static ResetTopology Build(IReadOnlyList<DeviceMatch> matches, ReplayPolicy policy, BusTopology bus)
        {
            var t = new ResetTopology();
            if (!policy.ResetsAnything) return t;
            // What each function may use before any bridge is considered.
            var wanted = new Dictionary<PciAddress, (IReadOnlyList<string> Preferred, IReadOnlyList<string> Offered)>();
            foreach (var m in matches)
            {
                if (m.Kind != MatchKind.Matched || m.Record is null || m.Present is null) continue;
                // A bridge's reset takes down every link below it; preinit resets endpoints only.
                if (ConfigBytes.HeaderKind(m.Present) != HeaderType.Normal) continue;
                if (!policy.MayReset(DeviceIdentity.Of(m.Address, m.Present), m.Info?.BootVga, out string why, out var preferred))
                {
                    t._whyNot[m.Address] = why;
                    continue;
                }
                wanted[m.Address] = (preferred, m.Info?.ResetMethods ?? []);
            }

            // Bridges whose Secondary Bus Reset may be used, narrowed until every function below each of them gets a
            // reset step (that step may itself depend on a bridge: the set shrinks until it holds).
            var bridgeWhy = new Dictionary<PciAddress, string>();
            var allowed = new HashSet<PciAddress>();
            foreach (var b in bus.Bridges)
            {
                if (bus.Config(b) is { } cfg && HotPlugSlot(cfg)) bridgeWhy[b] = $"{b} has a hot-plug slot";
                else allowed.Add(b);
            }
            // The preferred methods the function can use, in the policy's order, each once: "bridge" while its parent
            // bridge is allowed, any other one the function offers.
            IReadOnlyList<string> MethodsOf(PciAddress a)
            {
                if (!wanted.TryGetValue(a, out var w)) return [];
                var usable = new List<string>();
                foreach (string method in w.Preferred)
                {
                    bool can = method == "bridge" ? bus.Parent(a) is { } parent && allowed.Contains(parent) : Has(w.Offered, method);
                    if (can && !usable.Contains(method)) usable.Add(method);
                }
                return usable;
            }
            for (bool changed = true; changed;)
            {
                changed = false;
                foreach (var b in new List<PciAddress>(allowed))
                    foreach (var a in bus.Below(b))
                    {
                        if (MethodsOf(a).Count > 0) continue;
                        allowed.Remove(b);
                        bridgeWhy[b] = $"{a} below {b} is not being reset";
                        changed = true;
                        break;
                    }
            }

            foreach (var (a, w) in wanted)
            {
                var methods = MethodsOf(a);
                var parent = bus.Parent(a);
                if (methods.Count == 0)
                {
                    string bridgeNote = Has(w.Preferred, "bridge")
                        ? $"; parent bridge reset: {(parent is { } p ? bridgeWhy.GetValueOrDefault(p, "not possible") : "no parent bridge present")}" : "";
                    t._whyNot[a] = $"no allowed reset method offered (offered: {(w.Offered.Count == 0 ? "none" : string.Join(' ', w.Offered))}; allowed: {string.Join(' ', w.Preferred)}{bridgeNote})";
                    continue;
                }
                bool viaBridge = Has(methods, "bridge");
                t._plans[a] = new Plan(methods, viaBridge ? parent : null, viaBridge ? bus.Below(parent!.Value) : []);
            }
            return t;
        }

        private static bool Has(IReadOnlyList<string> list, string item)
        {
            foreach (string s in list)
                if (s == item) return true;
            return false;
        }

        private static bool HotPlugSlot(byte[] cfg)
        {
            if (CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp) return false;
            if ((ConfigBytes.U16(cfg, exp.Offset + PciExpress.Flags) & PciExpress.FlagsSlot) == 0) return false;
            return exp.Offset + PciExpress.SltCap + 4 <= cfg.Length && (ConfigBytes.U32(cfg, exp.Offset + PciExpress.SltCap) & 0x40) != 0; // Hot-Plug Capable
        }
    }
}
