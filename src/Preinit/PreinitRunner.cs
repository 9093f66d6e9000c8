using System.Diagnostics;
using System.IO.Abstractions;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Blob;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Environment;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Preinit;

/// <summary>Everything one preinit run needs, already parsed.</summary>
public sealed record PreinitOptions
{
    /// <summary>The <c>--from</c> store specs, read through <see cref="PreinitRunner"/>'s reader.</summary>
    public required IReadOnlyList<string> From { get; init; }
    /// <summary>Opens the target (sysfs or a simulated machine). Called after the capture-kernel check.</summary>
    public required Func<IPciAccess> Target { get; init; }
    public bool DryRun { get; init; }
    public string? ReportPath { get; init; }
    public ReplayPolicy Policy { get; init; } = ReplayPolicy.Default;
    /// <summary>Boot mode: nothing on a normal boot, never a non-zero exit, never past the deadline.</summary>
    public bool Boot { get; init; }
    /// <summary>Non-zero exit when anything failed (wins over boot mode's "always 0").</summary>
    public bool Strict { get; init; }
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Past <see cref="Deadline"/> nothing new starts; a reset already started has its restore run up to this
    /// one (from the same start), and a sysfs reset still in the kernel then is abandoned: the run ends by it.</summary>
    public TimeSpan HardDeadline { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The waits around a reset (<see cref="ResetTimings"/>; <c>--reset-ready-ms</c> sets its ReadyPoll).</summary>
    public ResetTimings Timings { get; init; } = ResetTimings.Kernel;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(1);
    public EnvironmentPaths Paths { get; init; } = new();
    /// <summary>For the dry-run script: where reset files live, and extra setpci options.</summary>
    public string SysfsRoot { get; init; } = Preconfig.ConfigSpace.Sysfs.SysfsConfigSpace.DefaultRoot;
    public string SetpciOptions { get; init; } = "";
    public IResetStep ResetStep { get; init; } = AccessResetStep.Instance;
    /// <summary><c>--key</c>: blobs must be signed with this key. In boot mode without it, <see cref="EnvironmentPaths.Key"/>
    /// is used when that file exists.</summary>
    public string? KeyPath { get; init; }
}

/// <summary>What a run did. <see cref="Script"/> is the dry-run's setpci script.</summary>
public sealed record PreinitResult(int ExitCode, PreinitReport Report, ReplayPlan? Plan = null, string? Script = null, string? Problem = null);

/// <summary>
/// One preinit run: capture-kernel check (boot mode), load the newest valid snapshot, match, plan, apply (or print the
/// plan as setpci commands), report. Logs go to the kernel log and the console through <see cref="PreinitLog"/>.
/// </summary>
public sealed class PreinitRunner(IFileSystem fs, PreinitLog log, SnapshotReader reader)
{
    public PreinitResult Run(PreinitOptions o)
    {
        var clock = Stopwatch.StartNew();
        long startTimestamp = TimeProvider.System.GetTimestamp();
        try
        {
            return RunCore(o, clock, startTimestamp);
        }
        catch (Exception e) when (o.Boot)
        {
            // Boot mode must never stop the capture: log, exit 0 (unless --strict).
            log.Error($"preinit stopped: {e.GetType().Name}: {e.Message}");
            return new PreinitResult(o.Strict ? 1 : 0, PreinitReport.Empty(clock.Elapsed), Problem: e.Message);
        }
    }

    private PreinitResult RunCore(PreinitOptions o, Stopwatch clock, long startTimestamp)
    {
        if (o.Boot)
        {
            var env = CaptureKernel.Detect(fs, o.Paths);
            if (!env.IsCaptureKernel)
            {
                log.Info($"not a capture kernel ({env.Evidence}): nothing to do");
                return new PreinitResult(0, PreinitReport.Empty(clock.Elapsed));
            }
            log.Info($"capture kernel ({env.Evidence})");
        }

        var (keys, keyProblem) = Keys(o);
        var (loaded, problems) = keyProblem is null ? SnapshotLoader.LoadNewest(o.From, reader, keys) : (null, []);
        foreach (var p in problems) log.Warning($"store {p}");
        if (loaded is not null && o.Boot && StaleProblem(o, loaded) is { } stale)
        {
            // A previous boot's handoff (the daemon failed this boot, an old initrd appendix): that boot's devices and
            // firmware state, not the crashed one's. Refused; every unbound endpoint is still quiesced below.
            keyProblem = stale;
            loaded = null;
        }
        if (loaded is null)
        {
            // Nothing to restore from; leftover DMA and interrupts are stopped all the same (policy quiesceUnmatched).
            string why = keyProblem ?? (o.From.Count == 0 ? "no --from store given" : "no valid snapshot in " + string.Join(", ", o.From));
            log.Error($"{why}: nothing restored" + (o.Policy.QuiesceUnmatched ? "; unbound endpoints are quiesced only" : ""));
            var bare = o.Target();
            var unmatched = DeviceMatcher.WithoutSnapshot(bare, $"not restored: {why}");
            var quiet = Replay(o, bare, unmatched, clock, startTimestamp);
            return quiet with { ExitCode = o.Boot && !o.Strict ? 0 : 2, Problem = why };
        }
        foreach (var w in loaded.Warnings ?? []) log.Warning($"store {loaded.Location}: {w}");
        log.Info($"snapshot from {loaded.Location} (sequence {loaded.Sequence}, captured {loaded.Snapshot.CapturedAt:u}, {loaded.Snapshot.Devices.Count} functions"
            + (loaded.SignatureChecked ? $", signature checked with {loaded.Key?.Source})" : ")"));

        // The capture kernel has little memory: the initramfs edition caps the GC's gen0 budget (Preconfig.Cli.csproj,
        // GCgen0size) so the heap stays small through every phase, without forced collections here.
        var target = o.Target();
        var matches = DeviceMatcher.Match(loaded.Snapshot, target, o.Policy);
        return Replay(o, target, matches, clock, startTimestamp);
    }

    /// <summary>
    /// The keys blobs must be signed with: <c>--key</c>, else in boot mode the initramfs key when that file exists;
    /// then the previous key beside it (<see cref="HandoffKey.PreviousPath"/>) while a rotation keeps one. A key that
    /// is named (or present) but cannot be read refuses every handoff: a forged blob must not get through because the
    /// key went missing. A previous key that cannot be read is only not used.
    /// </summary>
    private (IReadOnlyList<HandoffKey> Keys, string? Problem) Keys(PreinitOptions o)
    {
        string? path = o.KeyPath ?? (o.Boot && fs.File.Exists(o.Paths.Key) ? o.Paths.Key : null);
        if (path is null) return ([], null);
        var keys = new List<HandoffKey>();
        try { keys.Add(HandoffKey.Load(fs, path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return ([], $"key {path} unusable ({e.Message}): every handoff refused");
        }
        string previous = HandoffKey.PreviousPath(path);
        if (fs.File.Exists(previous))
        {
            try { keys.Add(HandoffKey.Load(fs, previous)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                log.Warning($"previous key {previous} unusable ({e.Message}): not used");
            }
        }
        log.Info($"handoff must be signed with the key {path}" + (keys.Count > 1 ? $" or, during a key rotation, {previous}" : ""));
        return (keys, null);
    }

    /// <summary>Why <paramref name="loaded"/> is not the crashed boot's snapshot (<see cref="CaptureKernel.CrashedBootId"/>), or null.</summary>
    private string? StaleProblem(PreinitOptions o, LoadedSnapshot loaded)
    {
        string? crashed = CaptureKernel.CrashedBootId(fs, o.Paths);
        if (crashed is null || string.IsNullOrEmpty(loaded.Snapshot.BootId)
            || string.Equals(crashed, loaded.Snapshot.BootId, StringComparison.OrdinalIgnoreCase)) return null;
        return $"the snapshot in {loaded.Location} was captured in boot {loaded.Snapshot.BootId} ({loaded.Snapshot.CapturedAt:u}), " +
            $"not in the crashed boot {crashed} ({CaptureKernel.BootIdParameter} on {o.Paths.Cmdline}): a previous boot's handoff, refused";
    }

    /// <summary>Plan, then print the plan (dry-run) or apply it; report.</summary>
    private PreinitResult Replay(PreinitOptions o, IPciAccess target, IReadOnlyList<DeviceMatch> matches, Stopwatch clock, long startTimestamp)
    {
        var plan = ReplayPlanner.Build(matches, o.Policy);
        if (o.DryRun)
        {
            string script = SetpciScript.Render(plan, o.SysfsRoot, o.SetpciOptions);
            var dry = PreinitReport.Build(plan, [], clock.Elapsed);
            return new PreinitResult(0, dry, plan, script);
        }

        var results = ReplayApplier.Apply(plan, target, new ApplyOptions
        {
            Retries = o.Policy.Retries,
            RetryDelay = o.RetryDelay,
            Deadline = new Deadline(o.Deadline, TimeProvider.System, startTimestamp),
            HardDeadline = new Deadline(o.HardDeadline > o.Deadline ? o.HardDeadline : o.Deadline, TimeProvider.System, startTimestamp),
            Timings = o.Timings,
            ResetStep = o.ResetStep,
            // One kernel-log line per function before its error status is cleared: the crash's evidence survives.
            BeforeClearing = (address, found) => log.Info(ClearingLine(address, found)),
        });
        var report = PreinitReport.Build(plan, results, clock.Elapsed);
        foreach (var d in report.Devices)
        {
            var level = d.Outcome == PreinitReport.Failed ? LogLevel.Warning : LogLevel.Info;
            log.Write(level, $"{d.Address} {d.Outcome}: {d.Reason}");
        }
        log.Notice(report.Summary);
        if (o.ReportPath is not null) WriteReport(o.ReportPath, report);
        bool failed = report.Count(PreinitReport.Failed) > 0;
        return new PreinitResult(failed && o.Strict ? 1 : 0, report, plan);
    }

    /// <summary><c>0000:00:1c.0 error status before clearing: STATUS=0x4010 CAP_EXP+a.w=0x0004</c>, put together in
    /// one buffer (the same text as joining each register's <see cref="ClearedRegister.ToString"/>, a string fewer each).</summary>
    internal static string ClearingLine(PciAddress address, IReadOnlyList<ClearedRegister> found)
    {
        var line = new System.Runtime.CompilerServices.DefaultInterpolatedStringHandler(40 + 24 * found.Count, 1 + found.Count);
        line.AppendFormatted(address);
        line.AppendLiteral(" error status before clearing:");
        foreach (var r in found)
        {
            line.AppendLiteral(" ");
            line.AppendLiteral(r.Register);
            line.AppendLiteral("=0x");
            line.AppendFormatted(r.Value, r.Width == 2 ? "x4" : r.Width == 1 ? "x2" : "x8");
        }
        return line.ToStringAndClear();
    }

    private void WriteReport(string path, PreinitReport report)
    {
        try { fs.File.WriteAllText(path, report.ToJson()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error($"cannot write report {path}: {e.Message}");
            throw;
        }
    }
}
