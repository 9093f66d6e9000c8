using System.IO.Abstractions;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sources;

/// <summary>
/// <c>lspci:FILE</c>: an <c>lspci -x/-xxx/-xxxx</c> dump (<c>-</c> reads stdin). Problems in the dump become warnings
/// naming file:line and the good functions are kept; a dump with no function at all is an error. Each record's
/// <see cref="DeviceRecord.Origins"/> covers the bytes the dump held, so bytes it did not hold stay unknown.
/// </summary>
public sealed class LspciSource(IFileSystem fs, string path, string? description = null) : ISnapshotSource
{
    public string Path { get; } = path;
    public string Description { get; } = description ?? "lspci:" + path;

    public SourceCapture Capture()
    {
        LspciDump dump;
        if (Path == "-")
        {
            dump = LspciDumpReader.Read(Console.OpenStandardInput(), "<stdin>");
        }
        else
        {
            if (!fs.File.Exists(Path)) throw new FileNotFoundException($"{Path}: no such file", Path);
            using var stream = fs.FileStream.New(Path, FileMode.Open, FileAccess.Read);
            dump = LspciDumpReader.Read(stream, Path);
        }
        var warnings = dump.Problems.Select(p => p.ToString()).ToList();
        foreach (var f in dump.Functions)
            if (f.Known.DescribeGaps() is { Length: > 0 } gaps)
                warnings.Add(new DumpProblem(dump.Source, f.Line, $"{f.Address}: bytes {gaps} " +
                    $"of its {f.Config.Length} are not in the dump (short or missing rows): unknown, never replayed").ToString());
        if (dump.Functions.Count == 0)
        {
            string first = warnings.Count > 0 ? $" (first problem: {warnings[0]})" : "";
            throw new DumpFormatException($"{dump.Source}:1: no device in this lspci dump{first}");
        }
        var devices = dump.Functions.Select(f => new DeviceRecord
        {
            Address = f.Address,
            Config = f.Config,
            // Only the bytes the dump's rows held: a short or missing row leaves a hole, and preinit never writes from it.
            Origins = Origins(f.Known),
        });
        return new SourceCapture(Snapshot.Normalize(devices), warnings);
    }

    /// <summary>One origin per range of bytes the dump held; a device line with no row at all gets one empty range
    /// (no origin would mean "every byte captured").</summary>
    private List<ConfigOrigin> Origins(KnownBytes known)
    {
        var list = new List<ConfigOrigin>();
        foreach (var (offset, length) in known.Ranges) list.Add(new ConfigOrigin(offset, length, Description, Pristineness.Unknown));
        if (list.Count == 0) list.Add(new ConfigOrigin(0, 0, Description, Pristineness.Unknown));
        return list;
    }
}
