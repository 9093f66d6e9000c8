using System.IO.Abstractions;
using Preconfig.ConfigCapture.Merge;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Earlydump;

/// <summary>
/// The <c>earlydump:FILE|-|kmsg</c> source: records made from the kernel's <c>pci=earlydump</c> log, all of them
/// <see cref="Pristineness.Firmware"/> (the kernel prints them while enumerating, before any driver runs).
/// </summary>
public static class EarlydumpSource
{
    public const string Kmsg = "kmsg";
    public const string Stdin = "-";

    /// <param name="argument">FILE, <c>-</c> (stdin) or <c>kmsg</c> (the live log at <paramref name="kmsgPath"/>).</param>
    public static SourceCapture Capture(string argument, IFileSystem fileSystem, Func<TextReader>? stdin = null,
        string kmsgPath = KmsgReader.DefaultPath)
    {
        string spec = "earlydump:" + argument;
        EarlydumpLog log;
        var warnings = new List<string>();
        if (argument == Kmsg)
        {
            var lines = KmsgReader.ReadLines(kmsgPath, out int lost);
            if (lost > 0) warnings.Add($"{kmsgPath}: {lost} kernel log records were overwritten while reading");
            log = EarlydumpParser.Parse(lines, kmsgPath);
        }
        else if (argument == Stdin)
        {
            using var reader = stdin?.Invoke() ?? Console.In;
            log = EarlydumpParser.Read(reader, "<stdin>");
        }
        else
        {
            using var reader = new StreamReader(fileSystem.File.OpenRead(argument));
            log = EarlydumpParser.Read(reader, argument);
        }
        warnings.AddRange(log.Problems.Select(p => p.ToString()));
        if (log.Devices.Count == 0)
            warnings.Add($"{log.Source}: no pci=earlydump output found (was the kernel booted with pci=earlydump, and is the log from this boot?)");
        return new SourceCapture(spec, ToRecords(log, spec), warnings);
    }

    public static IReadOnlyList<DeviceRecord> ToRecords(EarlydumpLog log, string spec) =>
    [
        .. log.Devices.Select(d => new DeviceRecord
        {
            Address = d.Address,
            Config = d.Config,
            Origins = [new ConfigOrigin(0, d.Config.Length, spec, Pristineness.Firmware)],
            Truncated = d.Truncated,
        }),
    ];
}
