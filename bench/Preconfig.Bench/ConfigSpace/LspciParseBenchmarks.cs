using BenchmarkDotNet.Attributes;
using Preconfig.ConfigSpace.Lspci;

namespace Preconfig.Bench.ConfigSpace;

/// <summary>
/// Parse time of lspci dumps from memory (file I/O excluded): the 53-function tree-asus-p6t6, and every real dump
/// in fixtures/real-dumps together. The baseline only splits the same bytes into lines, the floor any parser pays.
/// Run: dotnet run -c Release --project bench/Preconfig.Bench -- --filter '*LspciParse*'
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LspciParseBenchmarks
{
    private byte[] _asus = [];
    private byte[][] _all = [];

    [GlobalSetup]
    public void Setup()
    {
        string dumps = Path.Combine(FindRoot(), "fixtures", "real-dumps");
        _asus = File.ReadAllBytes(Path.Combine(dumps, "pciutils-tests", "tree-asus-p6t6"));
        _all = [.. Directory.EnumerateFiles(dumps, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        if (LspciDumpReader.Read(new MemoryStream(_asus), "asus").Functions.Count != 53)
            throw new InvalidOperationException("tree-asus-p6t6 should hold 53 functions");
    }

    [Benchmark(Baseline = true)]
    public int AsusSplitLinesOnly()
    {
        using var reader = new StreamReader(new MemoryStream(_asus));
        int n = 0;
        while (reader.ReadLine() is not null) n++;
        return n;
    }

    [Benchmark]
    public int AsusP6t6Parse() => LspciDumpReader.Read(new MemoryStream(_asus), "tree-asus-p6t6").Functions.Count;

    [Benchmark]
    public int AllFixturesParse()
    {
        int n = 0;
        foreach (var bytes in _all) n += LspciDumpReader.Read(new MemoryStream(bytes), "fixture").Functions.Count;
        return n;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Preconfig.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Preconfig.sln not found above the benchmark");
    }
}
