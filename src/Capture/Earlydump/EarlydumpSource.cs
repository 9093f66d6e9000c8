using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Earlydump;

/// <summary>
/// The <c>earlydump:FILE|-|kmsg</c> source: records made from the kernel's <c>pci=earlydump</c> log, all of them
/// <see cref="Pristineness.Firmware"/> (the kernel prints them while enumerating, before any driver runs).
/// </summary>
public sealed class EarlydumpSource(string argument, IFileSystem fileSystem, string? description = null,
    Func<TextReader>? stdin = null, string kmsgPath = KmsgReader.DefaultPath) : ISnapshotSource
{
    public const string Kmsg = "kmsg";
    public const string Stdin = "-";

    public string Argument { get; } = argument;
    public string Description { get; } = description ?? "earlydump:" + argument;

    public SourceCapture Capture()
    {
        EarlydumpLog log;
        var warnings = new List<string>();
        CaptureSystem? system = null;
        if (Argument == Kmsg)
        {
            var lines = KmsgReader.ReadLines(kmsgPath, out int lost);
            if (lost > 0) warnings.Add($"{kmsgPath}: {lost} kernel log records were overwritten while reading");
            log = EarlydumpParser.Parse(lines, kmsgPath);
            // The live log is this boot's: the snapshot can say where it was taken.
            system = LiveSystem.Now(fileSystem);
        }
        else if (Argument == Stdin)
        {
            using var reader = stdin?.Invoke() ?? Console.In;
            log = EarlydumpParser.Read(reader, "<stdin>");
        }
        else
        {
            using var reader = new StreamReader(fileSystem.FileStream.New(Argument, FileMode.Open, FileAccess.Read));
            log = EarlydumpParser.Read(reader, Argument);
        }
        warnings.AddRange(log.Problems.Select(p => p.ToString()));
        if (log.Devices.Count == 0)
            warnings.Add($"{log.Source}: no pci=earlydump output found (was the kernel booted with pci=earlydump, and is the log from this boot?)");
        return new SourceCapture(ToRecords(log, Description), warnings, system);
    }

    public static IReadOnlyList<DeviceRecord> ToRecords(EarlydumpLog log, string description) =>
    [
        .. log.Devices.Select(d => new DeviceRecord
        {
            Address = d.Address,
            Config = d.Config,
            Origins = [new ConfigOrigin(0, d.Config.Length, description, Pristineness.Firmware)],
            Truncated = d.Truncated,
        }),
    ];
}
