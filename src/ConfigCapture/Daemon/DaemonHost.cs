using System.IO.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Sinks.SystemConsole.Themes;

namespace Preconfig.ConfigCapture.Daemon;

/// <summary>
/// Builds the daemon's host (Microsoft.Extensions.Hosting, Serilog). Only <c>preconfig daemon</c> comes here: the
/// one-shot capture and preinit never touch these types, so the initramfs paths stay free of hosting start-up.
/// SIGTERM and Ctrl+C reach the host's ConsoleLifetime, which cancels the service's token and waits for it.
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
            .Enrich.With(new SyslogPriorityEnricher())
            .WriteTo.Console(outputTemplate: template, theme: tty ? AnsiConsoleTheme.Code : ConsoleTheme.None,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture)
            .CreateLogger();
    }

    public static IHost Build(DaemonSettings settings, DaemonPipeline pipeline, IFileSystem fileSystem, DeviceSetWatcher watcher,
        SdNotify notify, Serilog.ILogger serilog, TimeProvider? time = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "preconfig" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(sp => new CaptureDaemon(settings, pipeline, watcher, fileSystem, notify,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("preconfig.daemon"), time));
        builder.Services.AddHostedService(sp => new CaptureDaemonService(sp.GetRequiredService<CaptureDaemon>()));
        return builder.Build();
    }

    private sealed class CaptureDaemonService(CaptureDaemon daemon) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => daemon.RunAsync(stoppingToken);
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
