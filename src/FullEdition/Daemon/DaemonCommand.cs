using System.CommandLine;
using System.IO.Abstractions;
using Microsoft.Extensions.Hosting;
using Preconfig.Cli;
using Preconfig.Daemon;

namespace Preconfig.FullEdition.Daemon;

/// <summary>
/// <c>preconfig daemon [--config FILE]</c>: the boot-time service. Behaviour lives in src/Daemon; this
/// only layers the command line over the configuration file and the environment.
/// </summary>
internal static class DaemonCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = $"configuration file (default {DaemonSettings.DefaultConfigFile}, if present)" };
        var source = new Option<string[]>("--source") { Description = "a source (repeat): replaces the configured sources", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string[]>("--out") { Description = "a store (repeat): replaces the configured stores", AllowMultipleArgumentsPerToken = false };
        var key = new Option<string>("--key") { Description = "HMAC key file for signed blobs" };
        var poll = new Option<string>("--poll-interval") { Description = "seconds between looks at the device set (at most 10; default 2)" };
        var status = new Option<string>("--status-file") { Description = $"where to keep the status (default {DaemonSettings.DefaultStatusFile})" };
        var command = new Command("daemon", "The boot-time service: capture, write the stores, tell systemd, re-capture when devices come or go");
        foreach (var o in new Option[] { config, source, output, key, poll, status }) command.Options.Add(o);
        command.SetAction((pr, ct) => RunAsync(pr.GetValue(config), pr.GetValue(source) ?? [], pr.GetValue(output) ?? [],
            pr.GetValue(key), pr.GetValue(poll), pr.GetValue(status)));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, string[] sources, string[] stores, string? key, string? poll, string? statusFile)
    {
        var overrides = new Dictionary<string, string?>();
        if (key is not null) overrides["keyFile"] = key;
        if (poll is not null) overrides["pollIntervalSeconds"] = poll;
        if (statusFile is not null) overrides["statusFile"] = statusFile;
        var configuration = DaemonHost.LoadConfiguration(configFile, overrides);
        var settings = DaemonSettings.From(configuration, sources, stores);

        var fs = new FileSystem();
        var pipeline = DaemonPipelines.Create(settings, fs);
        var watcher = new DeviceSetWatcher(fs, DaemonPipelines.WatchedRoots(settings.Sources));
        var logger = DaemonHost.CreateLogger();
        try
        {
            using var host = DaemonHost.Build(settings, pipeline, fs, watcher, logger);
            await host.RunAsync();
            return ExitCodes.Success;
        }
        finally
        {
            (logger as IDisposable)?.Dispose();
        }
    }
}
