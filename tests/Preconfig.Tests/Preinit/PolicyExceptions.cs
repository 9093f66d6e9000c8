using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Specification;
using Preconfig.Preinit.Policy;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// THE place that says which bits preinit deliberately does not bring back to firmware's value after a crash, each
/// rule quoting where the policy says so (docs/preinit.md unless noted). Every crash test (the property test, the
/// simulated crash over every dump, faults, resets) checks every register against firmware's value except what these
/// rules name. When the policy changes (issue 11: no D-state change, ACS/ARI left to the kernel, MPS capped at the
/// parent port's, L1 PM substates in the kernel's order), this file is what to reconcile.
/// </summary>
internal static class PolicyExceptions
{
    /// <summary>What a rule expects of its bits after preinit.</summary>
    public enum Expect
    {
        /// <summary>Cleared by the policy (an enable kept off, a write-1-to-clear status cleared).</summary>
        Off,
        /// <summary>Set by the policy (INTx Disable).</summary>
        On,
        /// <summary>Not written: as the crash left them (unknown after a reset of the function, so not checked then).</summary>
        AsCrashed,
    }

    /// <param name="Bits">The bits of a register the rule covers on this function (0: none).</param>
    public sealed record Rule(string Name, string Policy, Expect Expect, Func<ReplayPolicy, byte[], ResolvedRegister, uint> Bits);

    private static bool Is(ResolvedRegister r, StructureKey key, int offset) => r.Structure.Key == key && r.Spec.Offset == offset;
    private static bool IsHeader(ResolvedRegister r, int type, int offset) => Is(r, StructureKey.Header(type), offset);
    private static readonly StructureKey Express = StructureKey.Capability((int)CapabilityId.Express);
    private static readonly StructureKey AerKey = StructureKey.Extended((int)ExtendedCapabilityId.Aer);

    /// <summary>The write-1-to-clear bits the replay clears (policy <c>clearErrorStatus</c>).</summary>
    private static uint ClearedStatus(ResolvedRegister r)
    {
        bool header = r.Structure.Key.Kind == StructureKind.Header;
        if (header && r.Spec.Offset == Header.Status) return (uint)Status.ErrorBits;
        if (IsHeader(r, 1, Type1.SecStatus)) return (uint)Status.ErrorBits;
        if (Is(r, Express, PciExpress.DevSta)) return PciExpress.DevStaErrorBits;
        if (Is(r, AerKey, Aer.UncorStatus) || Is(r, AerKey, Aer.CorStatus)) return 0xffffffff;
        if (Is(r, AerKey, Aer.RootStatus)) return 0x7f;
        return 0;
    }

    private static readonly HashSet<StructureKey> NotRestoredStructures =
    [
        StructureKey.Extended((int)ExtendedCapabilityId.Ats), StructureKey.Extended((int)ExtendedCapabilityId.Pri),
        StructureKey.Extended((int)ExtendedCapabilityId.Pasid), StructureKey.Extended((int)ExtendedCapabilityId.SrIov),
    ];

    /// <summary>CardBus registers the replay restores: HeaderRegisters.CardBus (src/Preinit) plus Command and Status.</summary>
    private static readonly int[] CardBusRestored = [Header.Command, Header.Status, Header.CacheLineSize, Header.LatencyTimer, Header.InterruptLine];

    public static readonly IReadOnlyList<Rule> Rules =
    [
        new("Bus Master off on endpoints", "\"Endpoints end with Bus Master off\" (policy busMaster)", Expect.Off,
            (p, _, r) => p.BusMaster == BusMasterPolicy.Off && IsHeader(r, 0, Header.Command) ? (uint)Command.BusMaster : 0u),
        new("INTx Disable on on endpoints", "\"... and INTx Disable on\" (policy intx)", Expect.On,
            (p, _, r) => p.Intx == IntxPolicy.Disabled && IsHeader(r, 0, Header.Command) ? (uint)Command.IntxDisable : 0u),
        new("MSI and MSI-X enables off", "\"MSI address/data/mask and control, MSI-X control (enables kept off)\"", Expect.Off,
            (_, _, r) => Is(r, StructureKey.Capability((int)CapabilityId.Msi), Msi.Flags) ? Msi.FlagsEnable
                : Is(r, StructureKey.Capability((int)CapabilityId.MsiX), MsiX.Flags) ? MsiX.FlagsEnable : 0u),
        new("stale error status cleared", "\"clear stale error status (Status, Secondary Status, DevSta, AER status ...)\" (policy clearErrorStatus)", Expect.Off,
            (p, _, r) => p.ClearErrorStatus ? ClearedStatus(r) & r.WriteOneToClear : 0),
        new("other write-1-to-clear bits not written", "\"the only writes of ones into RW1C bits\"; Known limits: \"write-1-to-clear bits other than the error status above\"", Expect.AsCrashed,
            (p, _, r) => r.WriteOneToClear & ~(p.ClearErrorStatus ? ClearedStatus(r) : 0)),
        new("Secondary Bus Reset never written", "\"masks never cover ... Secondary Bus Reset\"", Expect.AsCrashed,
            (_, _, r) => IsHeader(r, 1, Type1.BridgeControl) ? (uint)BridgeControl.BusReset & r.Writable : 0),
        new("Link Disable captured set: not restored", "\"masks never cover ... Link Disable\" (refused when the snapshot has it set)", Expect.AsCrashed,
            (_, fw, r) => Is(r, Express, PciExpress.LnkCtl) && (ConfigBytes.U16(fw, r.Offset) & PciExpress.LnkCtlDisable) != 0 ? PciExpress.LnkCtlDisable & r.Writable : 0),
        new("ATS, PRI, PASID and SR-IOV not restored", "Known limits: \"ATS/PRI/PASID and SR-IOV state are not restored\"", Expect.AsCrashed,
            (_, _, r) => NotRestoredStructures.Contains(r.Structure.Key) ? r.Writable : 0),
        new("CardBus bridges: only the plain settings", "Known limits: \"on CardBus bridges everything but Command, Status, Interrupt Line, Latency Timer and Cache Line Size\"", Expect.AsCrashed,
            (_, _, r) => r.Structure.Key == StructureKey.Header(2) && !CardBusRestored.Contains(r.Spec.Offset) ? r.Writable : 0),
        new("PM Data_Select not restored", "Known limits: \"PM Data_Select (the PM step restores PowerState and PME_En)\"", Expect.AsCrashed,
            (_, _, r) => Is(r, StructureKey.Capability((int)CapabilityId.PowerManagement), PowerManagement.Ctrl) ? 0x1e00u & r.Writable : 0),
    ];

    /// <summary>
    /// Dirt the crash tests leave out, each with why. Keep this empty unless a finding is waiting for another change.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Why, Func<byte[], ResolvedRegister, uint> Bits)> NotDirtied =
    [
        ("D3hot with No_Soft_Reset clear",
            "today's PM control restore moves D3hot -> D0 (an internal reset, PM 1.2 §3.2.4) after planning against the crash's values, so " +
            "BARs and other registers left untouched by the plan come back zero; issue 11 drops the D-state change. Until then the crash " +
            "tests do not leave a soft-resetting function in D3hot (PowerStateTests shows the finding).",
            (fw, r) => Is(r, StructureKey.Capability((int)CapabilityId.PowerManagement), PowerManagement.Ctrl)
                && (ConfigBytes.U16(fw, r.Offset) & PowerManagement.CtrlNoSoftReset) == 0 ? PowerManagement.CtrlStateMask : 0u),
    ];

    /// <summary>The dirt the crash tests apply: <paramref name="dirt"/> without the <see cref="NotDirtied"/> bits.</summary>
    public static IEnumerable<Dirt> Dirtiable(SimulatedMachine machine, IReadOnlyDictionary<PciAddress, byte[]> firmware, IEnumerable<Dirt> dirt)
    {
        foreach (var d in dirt)
        {
            if (d.Kind != DirtKind.Write) { yield return d; continue; }
            var r = machine[d.Address].Space.Masks.Attributes.RegisterAt(d.Offset);
            uint skip = 0;
            if (r is not null) foreach (var n in NotDirtied) skip |= n.Bits(firmware[d.Address], r);
            if ((d.Mask & ~skip) != 0) yield return d with { Mask = d.Mask & ~skip };
        }
    }

    /// <summary>
    /// For every byte of a function: the value it must hold after preinit and the bits checked. Every bit of every
    /// byte is checked against firmware's value except where a <see cref="Rules"/> entry says otherwise.
    /// </summary>
    public static (byte[] Expected, byte[] Checked, string?[] Why) Expectation(FunctionAttributes attributes, byte[] firmware, byte[] crashed,
        ReplayPolicy policy, bool wasReset)
    {
        var expected = (byte[])firmware.Clone();
        var check = new byte[firmware.Length];
        Array.Fill(check, (byte)0xff);
        var why = new string?[firmware.Length];
        foreach (var r in attributes.Registers)
        {
            foreach (var rule in Rules)
            {
                uint bits = rule.Bits(policy, firmware, r);
                if (bits == 0) continue;
                for (int i = 0; i < r.Width && i < 4; i++)
                {
                    int at = r.Offset + i;
                    byte b = (byte)(bits >> (8 * i));
                    if (b == 0) continue;
                    why[at] = rule.Name;
                    switch (rule.Expect)
                    {
                        case Expect.Off: expected[at] &= (byte)~b; break;
                        case Expect.On: expected[at] |= b; break;
                        case Expect.AsCrashed when wasReset: check[at] &= (byte)~b; break;
                        case Expect.AsCrashed: expected[at] = (byte)((expected[at] & ~b) | (crashed[at] & b)); break;
                    }
                }
            }
        }
        return (expected, check, why);
    }
}
