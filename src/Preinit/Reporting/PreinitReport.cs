using System.Text.Json;
using System.Text.Json.Serialization;
using Preconfig.ConfigSpace;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;

namespace Preconfig.Preinit.Reporting;

/// <summary>One device in the report (docs/cli.md: address, outcome restored|quiesced|skipped|failed, reason, writes,
/// verified; the other keys are added only when they say something).</summary>
public sealed record DeviceOutcome
{
    public required string Address { get; init; }
    public required string Outcome { get; init; }
    public string Reason { get; init; } = "";
    /// <summary>Config writes issued, retries included.</summary>
    public int Writes { get; init; }
    /// <summary>Steps whose register read back as wanted (written, or already holding the value).</summary>
    public int Verified { get; init; }
    /// <summary>Only for a function the policy had reset (an extra key, allowed by the contract).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DeviceReset? Reset { get; init; }
    /// <summary>Registers not written because the capture did not hold all their bytes (<c>"CAP_EXP+10.w: byte(s)
    /// 0x70-0x71 not captured"</c>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? LeftOut { get; init; }
    /// <summary>Every error status register the replay cleared, as read just before (the crash's evidence).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ClearedError>? ClearedErrors { get; init; }
}

/// <summary>One error status register as found before it was cleared: <c>{"register": "STATUS", "offset": 6, "value": "0x4010"}</c>.</summary>
public sealed record ClearedError(string Register, int Offset, string Value);

/// <summary>The reset of one function: the method that ended it, what the request returned, whether config space
/// showed it took effect, the time all attempts took, and every attempt.</summary>
public sealed record DeviceReset
{
    public string Method { get; init; } = "";
    public string Status { get; init; } = "";
    public bool Verified { get; init; }
    public double Ms { get; init; }
    public IReadOnlyList<ResetAttempt> Attempts { get; init; } = [];

    public static DeviceReset From(ResetResult r) => new()
    {
        Method = r.Method,
        Status = r.Attempts.Count > 0 ? r.Attempts[^1].Status : "",
        Verified = r.Verified,
        Ms = Math.Round(r.Ms, 3),
        Attempts = r.Attempts,
    };
}

/// <summary>The <c>--report</c> JSON: exactly the contract's shape.</summary>
public sealed record PreinitReport
{
    /// <summary><see cref="Quiesced"/>: not restored (new, mismatched, no valid snapshot), but its DMA and interrupts
    /// were stopped: Bus Master off, INTx disabled, MSI and MSI-X off.</summary>
    public const string Restored = "restored", Quiesced = "quiesced", Skipped = "skipped", Failed = "failed";

    public required IReadOnlyList<DeviceOutcome> Devices { get; init; }
    public double ElapsedMs { get; init; }

    public int Count(string outcome) => Devices.Count(d => d.Outcome == outcome);

    /// <summary>The one-line summary: <c>preinit: 12 restored, 1 quiesced, 3 skipped, 1 failed (2 missing, 1 new) ...</c>.</summary>
    public string Summary
    {
        get
        {
            int missing = Devices.Count(d => d.Reason.StartsWith("missing", StringComparison.Ordinal));
            int added = Devices.Count(d => d.Reason.StartsWith("new", StringComparison.Ordinal));
            var resets = Devices.Where(d => d.Reset is not null).Select(d => d.Reset!).ToList();
            string resetPart = resets.Count == 0 ? ""
                : $", {resets.Count(r => r.Verified)} of {resets.Count} reset(s) verified ({resets.Sum(r => r.Ms):0.0} ms)";
            return $"preinit: {Count(Restored)} restored, {Count(Quiesced)} quiesced, {Count(Skipped)} skipped, {Count(Failed)} failed ({missing} missing, {added} new), "
                + $"{Devices.Sum(d => d.Writes)} writes{resetPart}, in {ElapsedMs:0.0} ms";
        }
    }

    /// <summary>Builds the report from what matching decided, the plan's notes and what the apply did.</summary>
    public static PreinitReport Build(ReplayPlan plan, IReadOnlyList<StepResult> results, TimeSpan elapsed)
    {
        var byDevice = results.GroupBy(r => r.Step.Address).ToDictionary(g => g.Key, g => g.ToList());
        var devices = new List<DeviceOutcome>();
        foreach (var m in plan.Matches)
        {
            string address = m.Address.ToString();
            var steps = byDevice.TryGetValue(m.Address, out var list) ? list : [];
            int writes = steps.Sum(s => s.Writes), verified = steps.Count(s => s.Verified);
            var failed = steps.Where(s => s.Outcome == StepOutcome.Failed).ToList();
            var notDone = steps.Where(s => s.Outcome == StepOutcome.NotDone).ToList();
            var problems = new List<string>();
            if (failed.Count > 0) problems.Add($"{failed.Count} step(s) failed: " + string.Join("; ", failed.Select(f => f.Error).Distinct().Take(3)));
            if (notDone.Count > 0) problems.Add($"{notDone.Count} step(s) not done ({notDone[0].Error}): " + string.Join(", ", notDone.Select(s => s.Step.Register).Distinct().Take(6)));
            if (plan.QuiesceOnly.Contains(m.Address))
            {
                bool ok = problems.Count == 0;
                string did = steps.Any(s => s.Outcome == StepOutcome.Done) ? "quiesced: Bus Master off, INTx disabled, MSI/MSI-X off" : "quiesced: already quiet";
                devices.Add(new DeviceOutcome
                {
                    Address = address, Outcome = ok ? Quiesced : Failed, Writes = writes, Verified = verified,
                    Reason = ok ? $"{m.Reason}; {did}" : $"{m.Reason}; quiesce: {string.Join("; ", problems)}",
                });
                continue;
            }
            if (m.Kind != MatchKind.Matched)
            {
                string skipped = plan.NotQuiesced.TryGetValue(m.Address, out var why) ? $"{m.Reason}; {why}" : m.Reason;
                devices.Add(new DeviceOutcome { Address = address, Outcome = Skipped, Reason = skipped });
                continue;
            }
            var notes = plan.Notes.TryGetValue(m.Address, out var n) ? n : [];
            string outcome, reason;
            if (problems.Count > 0)
            {
                outcome = Failed;
                reason = string.Join("; ", problems.Concat(notes));
            }
            else
            {
                outcome = Restored;
                int written = steps.Count(s => s.Outcome == StepOutcome.Done);
                reason = (written == 0 ? "already in firmware state" : $"{written} register(s) restored")
                    + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
            }
            var reset = steps.FirstOrDefault(s => s.Reset is not null)?.Reset;
            if (reset is not null)
                reason += reset.Verified ? $"; reset by {reset.Method} verified ({reset.Ms:0.0} ms)"
                    : !reset.Verifiable ? $"; reset by {reset.Method} requested, not verifiable (no MSI/MSI-X)" : "";
            devices.Add(new DeviceOutcome { Address = address, Outcome = outcome, Reason = reason, Writes = writes, Verified = verified,
                Reset = reset is null ? null : DeviceReset.From(reset),
                LeftOut = plan.LeftOut.TryGetValue(m.Address, out var left) ? left : null,
                ClearedErrors = ClearedErrors(steps) });
        }
        return new PreinitReport { Devices = devices, ElapsedMs = Math.Round(elapsed.TotalMilliseconds, 3) };
    }

    private static IReadOnlyList<ClearedError>? ClearedErrors(List<StepResult> steps)
    {
        var list = steps.Where(s => s.Step.Kind == StepKind.ClearStatus && s.Before is not null)
            .Select(s => new ClearedRegister(s.Step.Register, s.Step.Offset, s.Step.Width, s.Before!.Value))
            .Select(r => new ClearedError(r.Register, r.Offset, r.Hex)).ToList();
        return list.Count > 0 ? list : null;
    }

    /// <summary>A report for a run that stopped before matching (no snapshot, not a capture kernel).</summary>
    public static PreinitReport Empty(TimeSpan elapsed) => new() { Devices = [], ElapsedMs = Math.Round(elapsed.TotalMilliseconds, 3) };

    public string ToJson() => JsonSerializer.Serialize(this, ReportJsonContext.Default.PreinitReport);

    public static PreinitReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, ReportJsonContext.Default.PreinitReport) ?? throw new InvalidDataException("report: null");
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    IgnoreReadOnlyProperties = true)]
[JsonSerializable(typeof(PreinitReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
