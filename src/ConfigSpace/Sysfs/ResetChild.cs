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
        // The child's stdout and stderr each its own pipe, its stdin /dev/null: an abandoned child must not hold ours
        // (a caller reading preinit's output to its end would wait for the kernel's reset as well).
        if (Libc.Pipe(out int outRead, out int outWrite, out int errno) < 0) return CannotStart(errno);
        if (Libc.Pipe(out int errRead, out int errWrite, out errno) < 0)
        {
            Libc.Close(outRead);
            Libc.Close(outWrite);
            return CannotStart(errno);
        }
        int pid;
        try
        {
            var argv = new List<byte[]> { Libc.Terminated(Program) };
            foreach (string a in Arguments) argv.Add(Libc.Terminated(a));
            argv.Add(Libc.Terminated(path));
            argv.Add(Libc.Terminated(text));
            var env = new List<byte[]>();
            foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env.Add(Libc.Terminated($"{e.Key}={e.Value}"));
            pid = Libc.Spawn(Libc.Terminated(Program), argv, env, outWrite, errWrite, out errno);
        }
        finally
        {
            Libc.Close(outWrite);
            Libc.Close(errWrite);
        }
        try
        {
            if (pid < 0) return CannotStart(errno);
            // The bound is the kernel's: it starts when the child is about to write, not when the process was asked for.
            int startMs = (int)StartBound.TotalMilliseconds;
            if (!Drain(outRead, startMs, untilLine: true)) return new Outcome(true, $"did not start within {startMs} ms: child {pid} abandoned", pid);
            int ms = bound <= TimeSpan.Zero ? 0 : bound >= TimeSpan.FromMilliseconds(int.MaxValue) ? int.MaxValue : (int)Math.Ceiling(bound.TotalMilliseconds);
            if (!Drain(outRead, ms, untilLine: false)) return new Outcome(true, $"no return within {ms} ms: child {pid} abandoned", pid);
            // Its stdout is closed: the child is exiting, and its stderr holds all it will say.
            var error = new MemoryStream();
            Span<byte> chunk = stackalloc byte[512];
            int n;
            while ((n = Libc.Read(errRead, chunk, out errno)) > 0 || (n < 0 && errno == Errno.EINTR)) if (n > 0) error.Write(chunk[..n]);
            string said = System.Text.Encoding.UTF8.GetString(error.ToArray()).Trim();
            if (Libc.WaitChild(pid, out int code, out errno) < 0) return new Outcome(false, $"waitpid {pid}: {Errno.Describe(errno)}", null);
            return new Outcome(false, code == 0 ? null : said.Length > 0 ? said : $"child exited {code}", null);
        }
        finally
        {
            Libc.Close(outRead);
            Libc.Close(errRead);
        }
    }

    private Outcome CannotStart(int errno) => new(false, $"cannot start {Program}: {Errno.Describe(errno)}", null);

    /// <summary>Reads <paramref name="fd"/> for up to <paramref name="ms"/>: until a whole line
    /// (<paramref name="untilLine"/>) or until its end. False when the time ran out first. The end of the stream
    /// ends both (a child that exits without its line has still returned).</summary>
    private static bool Drain(int fd, int ms, bool untilLine)
    {
        long deadline = Environment.TickCount64 + ms;
        Span<byte> chunk = stackalloc byte[64];
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left < 0) return false;
            int ready = Libc.Poll(fd, LinuxAbi.POLLIN, (int)Math.Min(left, int.MaxValue));
            if (ready == 0) return false;
            if (ready < 0) continue;   // EINTR: the deadline still holds
            int n = Libc.Read(fd, chunk, out int errno);
            if (n == 0 || (n < 0 && errno != Errno.EINTR)) return true;
            if (untilLine && n > 0 && chunk[..n].Contains((byte)'\n')) return true;
        }
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
