using System.Diagnostics;

namespace Preconfig.Tests.Lspci;

/// <summary>Runs a real program (lspci, the built preconfig) and returns its exit code and output.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish"); }
        return new Result(p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The built preconfig next to the test assembly (the Cli project's apphost).</summary>
    public static string Preconfig => Path.Combine(AppContext.BaseDirectory, "preconfig");

    /// <summary>The real lspci; the test fails (not skips) when pciutils is missing: ./test.sh installs it.</summary>
    public static string Lspci
    {
        get
        {
            foreach (var dir in new[] { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin" })
                if (File.Exists(Path.Combine(dir, "lspci"))) return Path.Combine(dir, "lspci");
            throw new InvalidOperationException("lspci not found: install pciutils (scripts/install-deps.sh does)");
        }
    }
}

/// <summary>The real dumps kept in fixtures/real-dumps: every lspci-text file (the raw pcics .bin files aside).</summary>
internal static class RealDumps
{
    public static string Folder => RepoPaths.RealDumps;

    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>For [MemberData]: each dump's path relative to fixtures/real-dumps.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var f in All()) data.Add(Path.GetRelativePath(Folder, f));
        return data;
    }

    public static string PathOf(string name) => Path.Combine(Folder, name);
}
