using System.Diagnostics;

namespace Preconfig.Tests.Handoff;

/// <summary>Runs a script under Debian's python3 with python3-msgpack (scripts/install-deps.sh installs it).</summary>
internal static class PythonMsgpack
{
    public const string Python = "/usr/bin/python3";

    public static string Run(string script, params string[] args) => Run(script, TimeSpan.FromMinutes(1), args);

    /// <summary>The script's standard output; it must exit 0 within <paramref name="timeout"/>.</summary>
    public static string Run(string script, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(timeout), $"python3 did not finish within {timeout}");
        Assert.True(p.ExitCode == 0, $"python3 failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }
}
