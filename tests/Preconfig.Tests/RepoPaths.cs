namespace Preconfig.Tests;

/// <summary>Where the repository's folders are, found from the test assembly's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The real dumps the repository carries (fixtures/real-dumps, sources in fixtures/SOURCES.md).</summary>
    public static string RealDumps => Path.Combine(Root, "fixtures", "real-dumps");

    public static string Fixtures => Path.Combine(Root, "fixtures");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Preconfig.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Preconfig.sln not found above the test assembly");
    }
}
