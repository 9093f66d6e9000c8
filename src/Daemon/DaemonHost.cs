using System.Globalization;
using System.IO.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Sinks.SystemConsole.Themes;

namespace Preconfig.Daemon;

/// <summary>
/// Builds the daemon's host (Microsoft.Extensions.Hosting with its systemd integration, Serilog). Only
/// <c>preconfig daemon</c> comes here: the one-shot capture and preinit never touch these types, so the initramfs
/// paths stay free of hosting start-up. SIGTERM reaches the host's lifetime (SystemdLifetime under systemd,
/// ConsoleLifetime otherwise), which stops the service and waits for it.
/// </summary>
public static class DaemonHost
{
    /// <summary>
    /// The layered configuration: <paramref name="configFile"/> (required when given, else <see cref="DaemonSettings.DefaultConfigFile"/>
    /// if present), then <c>PRECONFIG_*</c> variables, then <paramref name="commandLine"/> (keys as in the file).
    /// </summary>
    public static IConfiguration LoadConfiguration(string? configFile, IEnumerable<KeyValuePair<string, string?>> commandLine,
        IDictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        string path = configFile ?? DaemonSettings.DefaultConfigFile;
        if (configFile is not null && !File.Exists(configFile))
            throw new FileNotFoundException($"{configFile}: configuration file not found", configFile);
        builder.AddJsonFile(Path.GetFullPath(path), optional: configFile is null, reloadOnChange: false);
        if (environment is null) builder.AddEnvironmentVariables(DaemonSettings.EnvironmentPrefix);
        else builder.AddInMemoryCollection(environment
            .Where(kv => kv.Key.StartsWith(DaemonSettings.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(kv => new KeyValuePair<string, string?>(kv.Key[DaemonSettings.EnvironmentPrefix.Length..].Replace("__", ":"), kv.Value)));
        builder.AddInMemoryCollection(commandLine);
        try { return builder.Build(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.InnerException?.Message ?? e.Message}", e); }
    }

    /// <summary>The journald-friendly logger: <c>&lt;N&gt;</c> syslog priorities and no timestamps under journald, no colour unless a terminal.</summary>
    public static Serilog.ILogger CreateLogger()
    {
        bool journal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null;
        bool tty = !Console.IsOutputRedirected;
        string template = journal
            ? "<{SyslogPriority}>{Message:lj}{NewLine}{Exception}"
            : "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] {Message:lj}{NewLine}{Exception}";
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            // The host's own "Application started ..." lines say nothing the daemon's lines do not.
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Warning)
            .Enrich.With(new SyslogPriorityEnricher())
            .WriteTo.Console(outputTemplate: template, theme: tty ? AnsiConsoleTheme.Code : ConsoleTheme.None,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
    }

    /// <summary>
    /// The host: Serilog as the logging provider (Serilog.Extensions.Hosting), systemd integration
    /// (Microsoft.Extensions.Hosting.Systemd: READY=1 once started, STOPPING=1 when stopping, SIGTERM handling), and
    /// the capture service. <paramref name="systemd"/> (tests) is used as given; otherwise <c>AddSystemd()</c> decides,
    /// and <c>$NOTIFY_SOCKET</c> alone is enough too (see <see cref="AddSystemdWhenAsked"/>).
    /// </summary>
    public static IHost Build(DaemonSettings settings, DaemonPipeline pipeline, IFileSystem fileSystem, DeviceSetWatcher watcher,
        Serilog.ILogger serilog, ISystemdNotifier? systemd = null, TimeSpan? watchdog = null, TimeProvider? time = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "preconfig" });
        builder.Services.AddSerilog(serilog, dispose: false);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        if (systemd is null) AddSystemdWhenAsked(builder.Services);
        else
        {
            builder.Services.AddSingleton(systemd);
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
        builder.Services.AddSingleton(sp => new CaptureDaemon(settings, pipeline, watcher, fileSystem,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("preconfig.daemon"), sp.GetService<ISystemdNotifier>(),
            watchdog ?? WatchdogTimeout(Environment.GetEnvironmentVariable), time));
        builder.Services.AddHostedService(sp => new CaptureDaemonService(sp.GetRequiredService<CaptureDaemon>()));
        return builder.Build();
    }

    /// <summary>
    /// <c>AddSystemd()</c>, which in this version turns on only when the parent process is systemd (or this is PID 1);
    /// a service started through a wrapper, or by another supervisor that speaks the protocol, is told by
    /// <c>$NOTIFY_SOCKET</c> alone, as later versions of the package also accept (sd_notify(3) needs nothing else).
    /// </summary>
    internal static void AddSystemdWhenAsked(IServiceCollection services)
    {
        services.AddSystemd();
        if (SystemdHelpers.IsSystemdService() || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"))) return;
        services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddSingleton<IHostLifetime, SystemdLifetime>();
    }

    /// <summary>
    /// The unit's WatchdogSec, as sd_watchdog_enabled(3) reads it: <c>$WATCHDOG_USEC</c>, for this process when
    /// <c>$WATCHDOG_PID</c> is set. Null when no keep-alive is expected.
    /// </summary>
    public static TimeSpan? WatchdogTimeout(Func<string, string?> environment)
    {
        if (!ulong.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
            return null;
        string? pid = environment("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) return null;
        return TimeSpan.FromMicroseconds(Math.Min(usec, (ulong)TimeSpan.MaxValue.TotalMicroseconds / 2));
    }

    /// <summary>
    /// The first capture in StartAsync, so the host's "started" (and with it systemd's READY=1, and kdump's start,
    /// ordered after this unit) comes only once the stores hold it; then the watch loop until the host stops.
    /// </summary>
    private sealed class CaptureDaemonService(CaptureDaemon daemon) : IHostedService, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();
        private Task? _watch;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            daemon.Start();
            _watch = daemon.WatchAsync(_stopping.Token);
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_watch is null) return;
            _stopping.Cancel();
            // A store write in progress finishes first (up to the host's shutdown timeout).
            await _watch.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        public void Dispose() => _stopping.Dispose();
    }

    /// <summary>Adds <c>SyslogPriority</c> (journald reads a leading <c>&lt;N&gt;</c> as the message's priority).</summary>
    private sealed class SyslogPriorityEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory factory) =>
            logEvent.AddPropertyIfAbsent(factory.CreateProperty("SyslogPriority", logEvent.Level switch
            {
                LogEventLevel.Fatal => 2,
                LogEventLevel.Error => 3,
                LogEventLevel.Warning => 4,
                LogEventLevel.Information => 6,
                _ => 7,
            }));
    }
}
