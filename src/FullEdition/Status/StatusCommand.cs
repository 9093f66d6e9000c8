using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Cli;
using Preconfig.Daemon;
using Preconfig.Daemon.Fleet;

namespace Preconfig.FullEdition.Status;

/// <summary>
/// <c>preconfig status [--status-file FILE] [--crash-dir DIR] [--json | --format text|json|prometheus]</c>: what the
/// daemon last did and the last capture-kernel run saved beside a crash dump. <c>--json</c> prints the status file
/// as it is; <c>--format json</c> and <c>--format prometheus</c> (node_exporter's textfile format) are the fleet
/// signal: snapshot age, functions, stores, signed, the last capture-kernel run's outcomes.
/// Exit 0 all stores ok, 1 a store failed, 2 no status file (the fleet formats still print what is known then).
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--status-file") { Description = $"the daemon's status file (default {DaemonSettings.DefaultStatusFile})" };
        var json = new Option<bool>("--json") { Description = "print the status file as it is" };
        var format = new Option<string>("--format") { Description = "text (default), json (status, snapshot age, signed, last capture-kernel run) or prometheus (node_exporter textfile format)" };
        format.AcceptOnlyFromAmong("text", "json", "prometheus");
        var crashDir = new Option<string>("--crash-dir") { Description = $"where crash dumps are saved, for the last capture-kernel run (default {CaptureKernelRun.DefaultCrashDirectory})" };
        var command = new Command("status", "Show the daemon's last capture (when, how many functions, each store's result) and the last capture-kernel run");
        foreach (var o in new Option[] { file, json, format, crashDir }) command.Options.Add(o);
        command.SetAction(pr =>
        {
            string path = pr.GetValue(file) ?? DaemonSettings.DefaultStatusFile;
            string? fmt = pr.GetValue(format);
            if (pr.GetValue(json) && fmt is not null && fmt != "json")
                throw new CliUsageException("--json and --format " + fmt + " disagree: give one of them");
            return Run(new FileSystem(), path, pr.GetValue(crashDir) ?? CaptureKernelRun.DefaultCrashDirectory,
                pr.GetValue(json) && fmt is null ? "raw" : fmt ?? "text", Console.Out, DateTimeOffset.UtcNow);
        });
        return command;
    }

    /// <param name="format">raw (the file as it is), text, json or prometheus.</param>
    /// <param name="kdumpRefreshStatus">preconfig-kdump-refresh's status line (tests move it).</param>
    internal static int Run(IFileSystem fs, string statusFile, string crashDirectory, string format, TextWriter output, DateTimeOffset now,
        string kdumpRefreshStatus = KdumpNotes.RefreshStatus)
    {
        if (format is "raw" or "text")
        {
            var status = DaemonStatusFile.Read(fs, statusFile);
            if (format == "raw") output.Write(fs.File.ReadAllText(statusFile));
            else
            {
                output.Write(StatusText.Format(status, fs));
                var run = CaptureKernelRun.FindLatest(fs, crashDirectory);
                output.Write(LastRunText(run, crashDirectory));
                output.Write(KdumpNotes.Text(fs, kdumpRefreshStatus, crashDirectory, run));
            }
            return status.Stores.All(s => s.Ok) ? ExitCodes.Success : ExitCodes.Failed;
        }

        DaemonStatus? daemon = fs.File.Exists(statusFile) ? DaemonStatusFile.Read(fs, statusFile) : null;
        bool alive = daemon is not null && daemon.Pid > 0 && fs.Directory.Exists($"/proc/{daemon.Pid}");
        var fleet = FleetStatus.From(statusFile, daemon, alive, CaptureKernelRun.FindLatest(fs, crashDirectory), now);
        output.Write(format == "prometheus" ? PrometheusText.Format(fleet) : fleet.ToJson() + "\n");
        if (daemon is null)
        {
            Console.Error.WriteLine($"preconfig: {statusFile}: no status file (is the daemon running? see --status-file)");
            return ExitCodes.Usage;
        }
        return daemon.Stores.All(s => s.Ok) ? ExitCodes.Success : ExitCodes.Failed;
    }

    internal static string LastRunText(CaptureKernelRun? run, string crashDirectory)
    {
        if (run is null) return $"last capture-kernel run: none recorded under {crashDirectory}\n";
        string when = run.At.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        if (run.Error is not null) return $"last capture-kernel run: {when}, {run.Directory}: record unreadable: {run.Error}\n";
        string outcomes = run.Outcomes.Count == 0 ? "no functions" : string.Join(", ", run.Outcomes.Select(o => $"{o.Value} {o.Key}"));
        string elapsed = run.ElapsedMs is { } ms ? $" in {ms.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} ms" : "";
        string cleared = run.ClearedErrorRegisters > 0 ? $", {run.ClearedErrorRegisters} error registers cleared" : "";
        return $"last capture-kernel run: {when}, {run.Functions} functions ({outcomes}){elapsed}{cleared}; report {run.Report}\n";
    }
}
