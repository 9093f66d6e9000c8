using System.Diagnostics;

namespace Preconfig.Tests.Packaging;

/// <summary>Runs a packaging shell script as it is (/bin/sh SCRIPT ARGS), with extra environment, and times it.</summary>
internal static class ShellScript
{
    public static string Packaging => Path.Combine(RepoPaths.Root, "packaging");

    public sealed record Result(int Code, string Out, TimeSpan Elapsed);

    public static Result Run(string script, IDictionary<string, string>? env = null, params string[] args) =>
        RunCommand("/bin/sh", [script, .. args], env);

    /// <summary>Any command; <paramref name="limitMs"/> bounds the wait (the process is killed past it).</summary>
    public static Result RunCommand(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int limitMs = 60_000)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        bool done = p.WaitForExit(limitMs);
        if (!done) p.Kill(entireProcessTree: true);
        Assert.True(done, $"{file} {string.Join(' ', args)} did not finish within {limitMs} ms");
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result + stderr.Result, clock.Elapsed);
    }

    /// <summary>An executable shell script at <paramref name="path"/>.</summary>
    public static string Executable(string path, string body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
