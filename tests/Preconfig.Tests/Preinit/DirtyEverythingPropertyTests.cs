using FsCheck;
using FsCheck.Fluent;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// Issue 12 item 2, as a property (FsCheck): whatever the crashed kernel left in every writable bit of every register
/// (random legal values, random latched status; resource assignments never moved), preinit brings every register of
/// every function of every dump back to firmware's value, except what <see cref="PolicyExceptions"/> documents.
/// A failure is shrunk to the fewest registers and bits that still fail; such counterexamples become [Fact]s in
/// <see cref="DirtyEverythingCounterexampleTests"/>.
/// The cases are the same on every run (a fixed FsCheck seed) unless PRECONFIG_PROPERTY_SEED is set to a number
/// (that seed) or to "random".
/// </summary>
public class DirtyEverythingPropertyTests
{
    /// <summary>Crashes per dump. 50 dumps x this = the cases of one run.</summary>
    private const int CasesPerDump = 12;

    private static readonly Dictionary<string, LspciDump> Parsed = [];

    /// <summary>Each dump parsed once per test run (the machine is rebuilt from it per case).</summary>
    internal static LspciDump Dump(string relative)
    {
        lock (Parsed)
        {
            if (!Parsed.TryGetValue(relative, out var d)) Parsed[relative] = d = LspciDumpReader.ReadFile(Path.Combine(RepoPaths.Root, relative));
            return d;
        }
    }

    public static TheoryData<string> Dumps()
    {
        var data = new TheoryData<string>();
        foreach (var d in SimulatedCrash.AllDumps()) data.Add(d);
        return data;
    }

    /// <summary>One crash: the dump and exactly the dirt the kernel left.</summary>
    public sealed record Case(string Dump, int Seed, IReadOnlyList<Dirt> Dirt)
    {
        public override string ToString() =>
            $"{Dump} (seed {Seed}), {Dirt.Count} register(s) dirtied:\n  " + string.Join("\n  ", Dirt.Take(40)) + (Dirt.Count > 40 ? "\n  ..." : "");
    }

    /// <summary>Runs the crash; returns what differs from firmware beyond the policy's exceptions (empty: passed).</summary>
    internal static List<string> Run(string dump, IEnumerable<Dirt> dirt)
    {
        var crash = new SimulatedCrash(SimulatedMachine.FromDump(Dump(dump))).Dirty(dirt);
        var report = crash.Preinit();
        var problems = report.Devices.Where(d => d.Outcome != Owned.Outcome(crash.Machine, d.Address)).Select(d => $"{d.Address} {d.Outcome}: {d.Reason}").ToList();
        foreach (var f in crash.Machine.Functions) problems.AddRange(crash.Differences(f.Address));
        return problems;
    }

    private static Gen<Case> Cases(string dump) =>
        Gen.Choose(0, int.MaxValue).Select(seed => new Case(dump, seed, KernelRun.Plan(SimulatedMachine.FromDump(Dump(dump)), seed)));

    /// <summary>
    /// Smaller crashes that may still fail: half the dirt, then one register less, then one register's dirt narrowed
    /// to one field of it. FsCheck keeps the first that fails and shrinks again.
    /// </summary>
    internal static IEnumerable<Case> Shrink(Case c)
    {
        var d = c.Dirt;
        if (d.Count > 1)
        {
            for (int parts = 2; parts <= Math.Min(d.Count, 16); parts *= 2)
                for (int p = 0; p < parts; p++)
                {
                    int from = d.Count * p / parts, to = d.Count * (p + 1) / parts;
                    yield return c with { Dirt = [.. d.Take(from), .. d.Skip(to)] };
                }
            if (d.Count <= 64)
                for (int i = 0; i < d.Count; i++) yield return c with { Dirt = [.. d.Take(i), .. d.Skip(i + 1)] };
        }
        for (int i = 0; i < d.Count; i++)
        {
            uint m = d[i].Mask;
            if ((m & (m - 1)) == 0) continue;
            // One bit of the register at a time (a field's worth is found as its lowest failing bit).
            for (int b = 0; b < 32; b++)
                if ((m & (1u << b)) != 0) yield return c with { Dirt = [.. d.Take(i), d[i] with { Mask = 1u << b }, .. d.Skip(i + 1)] };
        }
    }

    private static Config Configured()
    {
        string? env = Environment.GetEnvironmentVariable("PRECONFIG_PROPERTY_SEED");
        var config = Config.QuickThrowOnFailure.WithMaxTest(CasesPerDump).WithQuietOnSuccess(true);
        if (env == "random") return config;
        ulong seed = ulong.TryParse(env, out var s) ? s : 0x5eed_12ul;
        return config.WithReplay(new Replay(new Rnd(seed, 0x9e3779b97f4a7c15ul), null));
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void After_any_crash_every_register_is_back_to_firmware_except_what_the_policy_documents(string dump)
    {
        var property = Prop.ForAll(Arb.From(Cases(dump), Shrink), c =>
        {
            var problems = Run(c.Dump, c.Dirt);
            return problems.Count == 0 ? true : throw new Xunit.Sdk.XunitException(string.Join("\n", problems.Take(20)));
        });
        Check.One(Configured(), property);
    }
}
