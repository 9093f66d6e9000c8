using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.ConfigCapture.Daemon;

namespace Preconfig.Cli.Status;

/// <summary><c>preconfig status [--status-file FILE] [--json]</c>: what the daemon last did. Exit 1 when a store failed.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--status-file") { Description = $"the daemon's status file (default {DaemonSettings.DefaultStatusFile})" };
        var json = new Option<bool>("--json") { Description = "print the status file as it is" };
        var command = new Command("status", "Show the daemon's last capture: when, how many functions, and each store's result");
        command.Options.Add(file);
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var fs = new FileSystem();
            string path = pr.GetValue(file) ?? DaemonSettings.DefaultStatusFile;
            var status = DaemonStatusFile.Read(fs, path);
            if (pr.GetValue(json)) Console.Out.Write(fs.File.ReadAllText(path));
            else Console.Out.Write(StatusText.Format(status, fs));
            return status.Stores.All(s => s.Ok) ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }
}
