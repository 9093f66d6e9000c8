using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Specification;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// Which bits the crash tests do not expect back at firmware's value after preinit, and what they expect instead. The
/// list itself is preinit's own (<see cref="LeftAlone"/>, src/Preinit/Planning/LeftAlone.cs: the planner takes its masks
/// from it and docs/preinit.md quotes its reasons word for word); the only rule added here is the specification's:
/// a write-1-to-clear bit preinit does not clear is status it never writes as 1 either, so it stays as the crash left
/// it. Every crash test (the property test, the simulated crash over every dump, faults, resets) checks every other
/// bit against firmware's value.
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
        /// <summary>Firmware's value or as the crash left them (restored only when a condition holds).</summary>
        FirmwareOrCrashed,
        /// <summary>The kernel's value (kept or lowered): not checked here; NoHarmTests checks Max Payload Size.</summary>
        Unchecked,
    }

    private static Expect ExpectOf(After after) => after switch
    {
        After.Off => Expect.Off,
        After.On => Expect.On,
        After.AsFound => Expect.AsCrashed,
        After.FirmwareOrAsFound => Expect.FirmwareOrCrashed,
        _ => Expect.Unchecked,
    };

    /// <summary>The rule for write-1-to-clear bits <see cref="LeftAlone"/> does not name.</summary>
    public const string OtherStatus = "write-1-to-clear status preinit does not clear: never written as 1, as the crash left it";

    /// <summary>
    /// Dirt the crash tests leave out, each with why. Keep this empty unless a finding is waiting for another change.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Why, Func<byte[], ResolvedRegister, uint> Bits)> NotDirtied = [];

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
    /// For every byte of a function: the value it must hold after preinit, the bits checked against it, and the bits
    /// that may instead hold the crashed value (<see cref="Expect.FirmwareOrCrashed"/>). Every bit of every byte is
    /// checked against firmware's value except where <see cref="LeftAlone"/> (or <see cref="OtherStatus"/>) says otherwise.
    /// </summary>
    public static (byte[] Expected, byte[] Checked, string?[] Why, byte[] OrCrashed) Expectation(PciAddress address, bool? bootVga,
        FunctionAttributes attributes, byte[] firmware, byte[] crashed, ReplayPolicy policy, bool wasReset)
    {
        var expected = (byte[])firmware.Clone();
        var check = new byte[firmware.Length];
        Array.Fill(check, (byte)0xff);
        var orCrashed = new byte[firmware.Length];
        var why = new string?[firmware.Length];
        var named = new byte[firmware.Length];
        void Apply(int at, byte b, Expect expect, string reason)
        {
            if (b == 0 || at >= firmware.Length) return;
            why[at] = reason;
            named[at] |= b;
            switch (expect)
            {
                case Expect.Off: expected[at] &= (byte)~b; break;
                case Expect.On: expected[at] |= b; break;
                case Expect.AsCrashed when wasReset: check[at] &= (byte)~b; break;
                case Expect.AsCrashed: expected[at] = (byte)((expected[at] & ~b) | (crashed[at] & b)); break;
                case Expect.FirmwareOrCrashed: orCrashed[at] |= b; break;
                case Expect.Unchecked: check[at] &= (byte)~b; break;
            }
        }
        foreach (var e in LeftAlone.For(address, firmware, policy, bootVga))
            for (int i = 0; i < e.Length; i++)
                Apply(e.Offset + i, e.BitsOf(i), ExpectOf(e.After), $"{e.Register}: {e.Why}");
        foreach (var r in attributes.Registers)
            for (int i = 0; i < r.Width && i < 4; i++)
            {
                int at = r.Offset + i;
                if (at < firmware.Length) Apply(at, (byte)((r.WriteOneToClear >> (8 * i)) & ~named[at]), Expect.AsCrashed, OtherStatus);
            }
        return (expected, check, why, orCrashed);
    }
}
