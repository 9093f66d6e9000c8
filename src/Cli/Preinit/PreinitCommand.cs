using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Preinit;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Environment;
using Preconfig.Preinit.Policy;

namespace Preconfig.Cli.Preinit;

/// <summary><c>preconfig preinit</c>: load the newest valid snapshot and replay it (or print it as setpci commands).</summary>
internal static class PreinitCommand
{
    public static Command Create()
    {
        var from = new Option<string[]>("--from") { Description = "A store holding the snapshot (repeatable; the newest valid one wins)", AllowMultipleArgumentsPerToken = false };
        var target = new Option<string>("--target") { Description = "Where to replay: sysfs[:ROOT] or sim:FILE", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan as setpci commands instead of writing" };
        var report = new Option<string?>("--report") { Description = "Write the JSON report to FILE" };
        var policy = new Option<string?>("--policy") { Description = "Policy file (JSON): reset, busMaster, allow/deny ..." };
        var boot = new Option<bool>("--boot") { Description = "Initramfs mode: nothing on a normal boot, exit 0 whatever happens, within the deadline" };
        var strict = new Option<bool>("--strict") { Description = "Exit 1 when anything failed" };
        var key = new Option<string?>("--key") { Description = "Key file: the blob must be signed with it (boot mode: /etc/preconfig/handoff.key when that file exists)" };
        var deadline = new Option<int>("--deadline-ms") { Description = "Overall time budget in milliseconds", DefaultValueFactory = _ => 5000 };
        var hard = new Option<int?>("--hard-deadline-ms") { Description = "Past --deadline-ms nothing starts; a started reset's restore runs, and a reset still in the kernel is abandoned, by this bound (milliseconds from the start) [default: --deadline-ms + 5000]" };
        var ready = new Option<int>("--reset-ready-ms") { Description = "How long a function may answer Configuration RRS after a reset before it is reported lost (the kernel allows 60000)", DefaultValueFactory = _ => (int)ResetTimings.Kernel.ReadyPoll.TotalMilliseconds };
        var cmdline = new Option<string>("--cmdline") { Description = "Kernel command line file", DefaultValueFactory = _ => "/proc/cmdline" };
        var vmcore = new Option<string>("--vmcore") { Description = "The capture kernel's vmcore file", DefaultValueFactory = _ => "/proc/vmcore" };
        var kmsg = new Option<string>("--kmsg") { Description = "Kernel log device", DefaultValueFactory = _ => "/dev/kmsg" };
        var bootKey = new Option<string>("--boot-key") { Description = "Boot mode: when this key file exists (and no --key), the blob must be signed with it", DefaultValueFactory = _ => EnvironmentPaths.DefaultKey };
        var command = new Command("preinit", "In the capture kernel: quiesce devices and put them back into the captured firmware state");
        foreach (var o in new Option[] { from, target, dryRun, report, policy, boot, strict, key, deadline, hard, ready, cmdline, vmcore, kmsg, bootKey })
            command.Options.Add(o);
        command.SetAction(pr => Run(new PreinitArguments(
            pr.GetValue(from) ?? [], pr.GetValue(target)!, pr.GetValue(dryRun), pr.GetValue(report), pr.GetValue(policy),
            pr.GetValue(boot), pr.GetValue(strict), pr.GetValue(key), pr.GetValue(deadline), pr.GetValue(hard), pr.GetValue(ready),
            new EnvironmentPaths { Cmdline = pr.GetValue(cmdline)!, Vmcore = pr.GetValue(vmcore)!, Kmsg = pr.GetValue(kmsg)!, Key = pr.GetValue(bootKey)! })));
        return command;
    }

    internal sealed record PreinitArguments(string[] From, string Target, bool DryRun, string? Report, string? Policy, bool Boot,
        bool Strict, string? Key, int DeadlineMs, int? HardDeadlineMs, int ResetReadyMs, EnvironmentPaths Paths);

    internal static int Run(PreinitArguments a)
    {
        var fs = new FileSystem();
        using var log = new PreinitLog(fs, a.DryRun ? null : a.Paths.Kmsg, Console.Error, a.Boot ? LogLevel.Info : LogLevel.Notice);
        ReplayPolicy policy;
        try
        {
            policy = a.Policy is null ? ReplayPolicy.Default : ReplayPolicy.Load(fs, a.Policy);
        }
        catch (Exception e) when (a.Boot && e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            log.Error($"policy {a.Policy}: {e.Message}; using the default policy");
            policy = ReplayPolicy.Default;
        }
        if (a.DeadlineMs <= 0) throw new CliUsageException($"--deadline-ms must be positive, not {a.DeadlineMs}");
        int hardMs = a.HardDeadlineMs ?? (int)Math.Min(int.MaxValue, a.DeadlineMs + 5000L);
        if (hardMs < a.DeadlineMs) throw new CliUsageException($"--hard-deadline-ms ({hardMs}) must not be below --deadline-ms ({a.DeadlineMs})");
        if (a.ResetReadyMs < 0 || a.ResetReadyMs > hardMs) throw new CliUsageException($"--reset-ready-ms must be 0 to --hard-deadline-ms ({hardMs}), not {a.ResetReadyMs}");

        SimulatedMachine? sim = null;
        SysfsPciAccess? sysfs = null;
        // The target is a SOURCE of the one parser (sysfs, sysfs:ROOT, sim:FILE). A wrong one is refused when the
        // runner opens it, like an unreadable one, so that boot mode still ends in exit 0.
        var target = TryParse(a.Target);
        string sysfsRoot = target is { Kind: SourceKind.Sysfs } ? target.Argument : SysfsConfigSpace.DefaultRoot;
        IPciAccess OpenTarget() => target?.Kind switch
        {
            // A reset is written by a child process preinit can abandon: the kernel may sleep in it for 60 s.
            SourceKind.Sysfs => sysfs = new SysfsPciAccess(fs, sysfsRoot, writable: !a.DryRun) { ResetChild = ResetChild.Self() },
            SourceKind.Sim => sim = SimulatedMachine.Load(target.Argument),
            _ => throw new CliUsageException($"--target '{a.Target}': expected sysfs, sysfs:ROOT or sim:FILE"),
        };

        try
        {
            var runner = new PreinitRunner(fs, log, (spec, k) => StoreReader.Read(fs, spec, k));
            var result = runner.Run(new PreinitOptions
            {
                From = a.From,
                Target = OpenTarget,
                DryRun = a.DryRun,
                ReportPath = a.Report,
                Policy = policy,
                Boot = a.Boot,
                Strict = a.Strict,
                Deadline = TimeSpan.FromMilliseconds(a.DeadlineMs),
                HardDeadline = TimeSpan.FromMilliseconds(hardMs),
                Timings = ResetTimings.Kernel with { ReadyPoll = TimeSpan.FromMilliseconds(a.ResetReadyMs) },
                Paths = a.Paths,
                KeyPath = a.Key,
                SysfsRoot = sysfsRoot,
                // A tree other than the real one needs setpci pointed at it.
                SetpciOptions = sysfsRoot == SysfsConfigSpace.DefaultRoot ? "" : $"-A linux-sysfs -O sysfs.path={sysfsRoot}",
            });
            if (result.Script is not null) Console.Out.Write(result.Script);
            else if (result.Problem is null) Console.Out.WriteLine(result.Report.Summary);
            if (sim is not null && !a.DryRun && result.Plan is not null) sim.Save(target!.Argument);
            // The problem was logged (console and kernel log) by the runner.
            return result.ExitCode;
        }
        finally
        {
            sysfs?.Dispose();
        }
    }

    private static SourceSpec? TryParse(string target)
    {
        try { return SourceSpec.Parse(target); }
        catch (FormatException) { return null; }
    }
}
