using System.Diagnostics;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// Writes a sysfs attribute from a child process and waits for it only up to a bound. Writing <c>reset</c> runs
/// pci_reset_function() in the writer's context, which can sleep uninterruptibly for as long as the kernel waits for the
/// device (pci_dev_wait(): up to PCIE_RESET_READY_POLL_MS, 60 s, per function): a thread of ours doing it would keep
/// this process alive until then. A child that has not exited at the bound is abandoned (not waited for, not killed: a
/// signal cannot end it before the kernel returns), so the caller goes on and can exit; the kernel finishes the reset
/// and restores the header itself (pci_dev_restore()). The child is this program again with an internal verb
/// (<see cref="Self"/>), which calls <see cref="WriteAttribute"/>: no fork of a .NET process, no shell needed.
/// </summary>
/// <param name="Program">The executable to start.</param>
/// <param name="Arguments">Arguments before the attribute's path and the text (the internal verb).</param>
public sealed record ResetChild(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The internal verb the child runs: <c>preconfig reset-child PATH TEXT</c>.</summary>
    public const string Verb = "reset-child";

    /// <summary>This program re-invoked with <see cref="Verb"/> (the AOT binary itself; <c>dotnet preconfig.dll</c>
    /// when run through the host). Null when the running program cannot be found.</summary>
    public static ResetChild? Self()
    {
        string? program = Environment.ProcessPath;
        if (program is null) return null;
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
        {
            string[] args = Environment.GetCommandLineArgs();
            return args.Length > 0 && args[0].EndsWith(".dll", StringComparison.Ordinal) ? new ResetChild(program, [args[0], Verb]) : null;
        }
        return new ResetChild(program, [Verb]);
    }

    /// <summary>
    /// How long the child may take to start, before the write's own bound begins: the child says so on its stdout
    /// just before it opens the attribute. Starting the AOT binary took about 1 s under emulation in the capture kernel
    /// (e2e dma-reset, one CPU): counted against the kernel's reset wait it made a 2,322 ms bound too short. Still a
    /// bound: a child that never says it started is abandoned too.
    /// </summary>
    public static TimeSpan StartBound { get; } = TimeSpan.FromSeconds(3);

    /// <summary>What <see cref="WriteAttribute"/> prints before it opens the attribute.</summary>
    public const string StartedLine = "writing";

    /// <summary>What became of one write.</summary>
    /// <param name="Error">Null when the write succeeded; the errno text (or why the child failed) otherwise.</param>
    public sealed record Outcome(bool Abandoned, string? Error, int? ProcessId);

    /// <summary>Starts the child writing <paramref name="text"/> to <paramref name="path"/> and waits up to
    /// <paramref name="bound"/>.</summary>
    public Outcome Write(string path, string text, TimeSpan bound)
    {
        // Every standard stream its own pipe: an abandoned child must not hold ours (a caller reading preinit's output
        // to its end would wait for the kernel's reset as well).
        var psi = new ProcessStartInfo(Program)
        {
            UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true,
        };
        foreach (string a in Arguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(path);
        psi.ArgumentList.Add(text);
        Process child;
        try { child = Process.Start(psi) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new Outcome(false, $"cannot start {Program}: {e.Message}", null);
        }
        // The bound is the kernel's: it starts when the child is about to write, not when the process was asked for.
        var started = child.StandardOutput.ReadLineAsync();
        int startMs = (int)StartBound.TotalMilliseconds;
        if (!started.Wait(startMs)) return new Outcome(true, $"did not start within {startMs} ms: child {child.Id} abandoned", child.Id);
        int ms = bound <= TimeSpan.Zero ? 0 : bound >= TimeSpan.FromMilliseconds(int.MaxValue) ? int.MaxValue : (int)Math.Ceiling(bound.TotalMilliseconds);
        if (!child.WaitForExit(ms)) return new Outcome(true, $"no return within {ms} ms: child {child.Id} abandoned", child.Id);
        string error = child.StandardError.ReadToEnd().Trim();
        int code = child.ExitCode;
        child.Dispose();
        return new Outcome(false, code == 0 ? null : error.Length > 0 ? error : $"child exited {code}", null);
    }

    /// <summary>The child's side: one open and one write(2) of <paramref name="text"/>. 0, or 1 with the errno text
    /// on <paramref name="error"/>. <paramref name="started"/> (the parent's pipe) hears <see cref="StartedLine"/> first.</summary>
    public static int WriteAttribute(string path, string text, TextWriter error, TextWriter? started = null)
    {
        if (started is not null)
        {
            started.WriteLine(StartedLine);
            started.Flush();
        }
        int fd = Libc.Open(Libc.Terminated(path), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC | OpenFlags.O_CLOEXEC, out int errno);
        if (fd < 0)
        {
            error.WriteLine(Errno.Describe(errno));
            return 1;
        }
        try
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes(text);
            int n;
            while ((n = Libc.Write(fd, bytes, out errno)) < 0 && errno == Errno.EINTR) { }
            if (n >= 0) return 0;
            error.WriteLine(Errno.Describe(errno));
            return 1;
        }
        finally { Libc.Close(fd); }
    }
}
