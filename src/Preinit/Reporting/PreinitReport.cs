using System.Text.Json;
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
    public DeviceReset? Reset { get; init; }
    /// <summary>Registers not written because the capture did not hold all their bytes (<c>"CAP_EXP+10.w: byte(s)
    /// 0x70-0x71 not captured"</c>).</summary>
    public IReadOnlyList<string>? LeftOut { get; init; }
    /// <summary>Every error status register the replay cleared, as read just before (the crash's evidence).</summary>
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
    /// <summary>A function the kernel owns (Planning/KernelOwnership: host and ISA bridges, IOMMUs, system
    /// peripherals, policy kernelOwned): not quiesced, reset or restored; the reason names the kernel code.</summary>
    public const string LeftToKernel = "left-to-kernel";

    public required IReadOnlyList<DeviceOutcome> Devices { get; init; }
    public double ElapsedMs { get; init; }

    public int Count(string outcome)
    {
        int n = 0;
        foreach (var d in Devices)
            if (d.Outcome == outcome) n++;
        return n;
    }

    /// <summary>The one-line summary: <c>preinit: 12 restored, 1 quiesced, 3 skipped, 1 failed (2 missing, 1 new) ...</c>.</summary>
    public string Summary
    {
        get
        {
            int missing = 0, added = 0, writes = 0, resets = 0, verifiedResets = 0;
            double resetMs = 0;
            foreach (var d in Devices)
            {
                if (d.Reason.StartsWith("missing", StringComparison.Ordinal)) missing++;
                if (d.Reason.StartsWith("new", StringComparison.Ordinal)) added++;
                writes += d.Writes;
                if (d.Reset is not { } r) continue;
                resets++;
                if (r.Verified) verifiedResets++;
                resetMs += r.Ms;
            }
            string resetPart = resets == 0 ? "" : $", {verifiedResets} of {resets} reset(s) verified ({resetMs:0.0} ms)";
            int owned = Count(LeftToKernel);
            string ownedPart = owned == 0 ? "" : $"{owned} left to the kernel, ";
            return $"preinit: {Count(Restored)} restored, {Count(Quiesced)} quiesced, {Count(Skipped)} skipped, {Count(Failed)} failed ({missing} missing, {added} new), "
                + $"{ownedPart}{writes} writes{resetPart}, in {ElapsedMs:0.0} ms";
        }
    }

    /// <summary>Builds the report from what matching decided, the plan's notes and what the apply did.</summary>
    public static PreinitReport Build(ReplayPlan plan, IReadOnlyList<StepResult> results, TimeSpan elapsed)
    {
        // Each device's results, in plan order (a device's steps are spread over the phases).
        var byDevice = new Dictionary<PciAddress, List<StepResult>>();
        foreach (var r in results)
        {
            if (!byDevice.TryGetValue(r.Step.Address, out var list)) byDevice[r.Step.Address] = list = [];
            list.Add(r);
        }
        var devices = new List<DeviceOutcome>(plan.Matches.Count);
        foreach (var m in plan.Matches)
        {
            string address = m.Address.ToString();
            var steps = byDevice.TryGetValue(m.Address, out var found) ? found : [];
            int writes = 0, verified = 0, written = 0;
            var failedErrors = new List<string?>();
            int failed = 0;
            var notDoneRegisters = new List<string>();
            StepResult? firstNotDone = null;
            int notDone = 0;
            ResetResult? reset = null;
            foreach (var s in steps)
            {
                writes += s.Writes;
                if (s.Verified) verified++;
                if (s.Outcome == StepOutcome.Done) written++;
                if (s.Outcome == StepOutcome.Failed)
                {
                    failed++;
                    // The first three different errors say enough.
                    if (failedErrors.Count < 3 && !failedErrors.Contains(s.Error)) failedErrors.Add(s.Error);
                }
                if (s.Outcome == StepOutcome.NotDone)
                {
                    notDone++;
                    firstNotDone ??= s;
                    if (notDoneRegisters.Count < 6 && !notDoneRegisters.Contains(s.Step.Register)) notDoneRegisters.Add(s.Step.Register);
                }
                reset ??= s.Reset;
            }
            var problems = new List<string>();
            if (failed > 0) problems.Add($"{failed} step(s) failed: " + string.Join("; ", failedErrors));
            if (notDone > 0) problems.Add($"{notDone} step(s) not done ({firstNotDone!.Error}): " + string.Join(", ", notDoneRegisters));
            if (plan.KernelOwned.TryGetValue(m.Address, out string? owner))
            {
                string why = m.Kind == MatchKind.Matched ? owner : $"{m.Reason}; {owner}";
                devices.Add(new DeviceOutcome { Address = address, Outcome = LeftToKernel, Reason = why });
                continue;
            }
            if (plan.QuiesceOnly.Contains(m.Address))
            {
                bool ok = problems.Count == 0;
                string did = written > 0 ? "quiesced: Bus Master off, INTx disabled, MSI/MSI-X off" : "quiesced: already quiet";
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
            IReadOnlyList<string> notes = plan.Notes.TryGetValue(m.Address, out var n) ? n : [];
            string outcome, reason;
            if (problems.Count > 0)
            {
                outcome = Failed;
                problems.AddRange(notes);
                reason = string.Join("; ", problems);
            }
            else
            {
                outcome = Restored;
                reason = (written == 0 ? "already in firmware state" : $"{written} register(s) restored")
                    + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
            }
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
        List<ClearedError>? list = null;
        foreach (var s in steps)
        {
            if (s.Step.Kind != StepKind.ClearStatus || s.Before is not { } before) continue;
            var read = new ClearedRegister(s.Step.Register, s.Step.Offset, s.Step.Width, before);
            (list ??= []).Add(new ClearedError(read.Register, read.Offset, read.Hex));
        }
        return list;
    }

    /// <summary>A report for a run that stopped before matching (no snapshot, not a capture kernel).</summary>
    public static PreinitReport Empty(TimeSpan elapsed) => new() { Devices = [], ElapsedMs = Math.Round(elapsed.TotalMilliseconds, 3) };

    /// <summary>
    /// The report as indented JSON, written key by key, the one writer of the format (docs/cli.md): camelCase names in
    /// declaration order, the optional keys left out when null (a golden file, tests/Preconfig.Tests/Golden, holds
    /// it). Not the serializer: its type information would cost a preinit run more than writing the report and would
    /// make the initramfs edition larger.
    /// </summary>
    public string ToJson()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("devices");
            foreach (var d in Devices) WriteDevice(w, d);
            w.WriteEndArray();
            w.WriteNumber("elapsedMs", ElapsedMs);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void WriteDevice(Utf8JsonWriter w, DeviceOutcome d)
    {
        w.WriteStartObject();
        w.WriteString("address", d.Address);
        w.WriteString("outcome", d.Outcome);
        w.WriteString("reason", d.Reason);
        w.WriteNumber("writes", d.Writes);
        w.WriteNumber("verified", d.Verified);
        if (d.Reset is { } reset)
        {
            w.WriteStartObject("reset");
            w.WriteString("method", reset.Method);
            w.WriteString("status", reset.Status);
            w.WriteBoolean("verified", reset.Verified);
            w.WriteNumber("ms", reset.Ms);
            w.WriteStartArray("attempts");
            foreach (var a in reset.Attempts)
            {
                w.WriteStartObject();
                w.WriteString("method", a.Method);
                w.WriteString("status", a.Status);
                w.WriteBoolean("verified", a.Verified);
                w.WriteNumber("ms", a.Ms);
                w.WriteString("evidence", a.Evidence);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (d.LeftOut is { } leftOut)
        {
            w.WriteStartArray("leftOut");
            foreach (string line in leftOut) w.WriteStringValue(line);
            w.WriteEndArray();
        }
        if (d.ClearedErrors is { } cleared)
        {
            w.WriteStartArray("clearedErrors");
            foreach (var c in cleared)
            {
                w.WriteStartObject();
                w.WriteString("register", c.Register);
                w.WriteNumber("offset", c.Offset);
                w.WriteString("value", c.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
