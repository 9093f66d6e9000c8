using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Preconfig.Daemon;

/// <summary>
/// What <c>preconfig daemon</c> does, from three layers, later ones winning: the JSON file
/// (<see cref="DefaultConfigFile"/>), the environment (<c>PRECONFIG_</c> prefix, <c>__</c> for nesting:
/// <c>PRECONFIG_POLLINTERVALSECONDS=5</c>, <c>PRECONFIG_SOURCES__0=sysfs</c>, or a comma list
/// <c>PRECONFIG_SOURCES=earlydump:kmsg,sysfs</c>), and the command line. Keys are case-insensitive:
/// <code>
/// { "sources": ["earlydump:kmsg", "sysfs"],
///   "stores": ["file:/var/lib/preconfig/handoff.pcfg", "initrd:/var/lib/preconfig/handoff.cpio"],
///   "keyFile": "/etc/preconfig/hmac.key",
///   "pollIntervalSeconds": 2,
///   "statusFile": "/run/preconfig/status.json",
///   "textfileDirectory": "/var/lib/prometheus/node-exporter",
///   "crashDirectory": "/var/crash" }
/// </code>
/// </summary>
public sealed record DaemonSettings
{
    public const string DefaultConfigFile = "/etc/preconfig/preconfig.json";
    public const string DefaultStatusFile = "/run/preconfig/status.json";
    public const string EnvironmentPrefix = "PRECONFIG_";

    public IReadOnlyList<string> Sources { get; init; } = ["sysfs"];
    public IReadOnlyList<string> Stores { get; init; } = [];
    public string? KeyFile { get; init; }
    /// <summary>How often the device set is looked at. The re-capture promise is "within 10 s", so at most 10.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>A store that failed is tried again after this long, even when nothing changed.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(60);
    public string StatusFile { get; init; } = DefaultStatusFile;
    /// <summary>node_exporter's textfile collector directory: the daemon keeps <c>preconfig.prom</c> there. Null: none.</summary>
    public string? TextfileDirectory { get; init; }
    /// <summary>Where crash dumps go (kdump-tools' KDUMP_COREDIR): the last capture-kernel run's record is read from it.</summary>
    public string CrashDirectory { get; init; } = Fleet.CaptureKernelRun.DefaultCrashDirectory;
    /// <summary>Capture SR-IOV virtual functions too (<c>includeVirtualFunctions</c>; left out by default, see docs/daemon.md).</summary>
    public bool IncludeVirtualFunctions { get; init; }
    /// <summary>What the layering decided that the user may not expect (logged, and shown among the status's warnings).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>A day: beyond that a failed store is as good as never retried (and TimeSpan must hold it).</summary>
    public const double MaxRetrySeconds = 86400;

    /// <param name="sources">Command-line sources: when given they replace the configured list as a whole.</param>
    /// <param name="stores">Command-line stores, likewise.</param>
    public static DaemonSettings From(IConfiguration config, IReadOnlyList<string>? sources = null, IReadOnlyList<string>? stores = null)
    {
        var settings = new DaemonSettings();
        var notes = new List<string>();
        var configured = List(config, "sources");
        // The packaged unit always gives --source: say so when that hides the configuration's own list.
        if (sources is { Count: > 0 } && configured.Count > 0 && !sources.SequenceEqual(configured))
            notes.Add($"--source {string.Join(" --source ", sources)} replaces the configured sources ({string.Join(", ", configured)}), which are not used");
        sources = sources is { Count: > 0 } ? sources : configured;
        stores = stores is { Count: > 0 } ? stores : List(config, "stores");
        double poll = Seconds(config, "pollIntervalSeconds", settings.PollInterval.TotalSeconds);
        double retry = Seconds(config, "retryIntervalSeconds", settings.RetryInterval.TotalSeconds);
        // Written so NaN fails too (every comparison with NaN is false).
        if (!(poll > 0 && poll <= 10))
            throw new InvalidDataException($"pollIntervalSeconds is {poll}: it must be above 0 and at most 10 (device changes must be seen within 10 s)");
        if (!(retry > 0 && retry <= MaxRetrySeconds))
            throw new InvalidDataException($"retryIntervalSeconds is {retry}: it must be above 0 and at most {MaxRetrySeconds}");
        settings = settings with
        {
            Sources = sources.Count > 0 ? sources : settings.Sources,
            Stores = stores,
            KeyFile = NullIfEmpty(config["keyFile"]),
            PollInterval = TimeSpan.FromSeconds(poll),
            RetryInterval = TimeSpan.FromSeconds(retry),
            StatusFile = NullIfEmpty(config["statusFile"]) ?? settings.StatusFile,
            TextfileDirectory = NullIfEmpty(config["textfileDirectory"]),
            CrashDirectory = NullIfEmpty(config["crashDirectory"]) ?? settings.CrashDirectory,
            IncludeVirtualFunctions = Flag(config, "includeVirtualFunctions"),
            Notes = notes,
        };
        if (settings.Stores.Count == 0)
            throw new InvalidDataException("no store configured: give \"stores\" in the configuration file, PRECONFIG_STORES, or --out");
        return settings;
    }

    /// <summary>An array section, or one value holding a comma-separated list (handy in the environment).</summary>
    private static List<string> List(IConfiguration config, string key)
    {
        var section = config.GetSection(key);
        if (!string.IsNullOrWhiteSpace(section.Value))
            return [.. section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        return [.. section.GetChildren()
            .OrderBy(c => int.TryParse(c.Key, out int i) ? i : int.MaxValue)
            .Select(c => c.Value?.Trim())
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!)];
    }

    private static double Seconds(IConfiguration config, string key, double fallback)
    {
        string? text = config[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new InvalidDataException($"{key} is '{text}', not a number of seconds");
    }

    private static bool Flag(IConfiguration config, string key)
    {
        string? text = config[key];
        if (string.IsNullOrWhiteSpace(text)) return false;
        return bool.TryParse(text.Trim(), out bool v) ? v : throw new InvalidDataException($"{key} is '{text}', not true or false");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
