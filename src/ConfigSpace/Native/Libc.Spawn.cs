using System.Runtime.InteropServices;

namespace Preconfig.ConfigSpace.Native;

/// <summary>
/// Starting and reaping a child process, for the reset child (<see cref="Sysfs.ResetChild"/>): posix_spawn(3),
/// pipe2(2) and waitpid(2) directly, instead of System.Diagnostics.Process, which added about 600 KB to the initramfs
/// edition and a SIGCHLD handler thread to a process that starts at most a few children.
/// </summary>
public static unsafe partial class Libc
{
    private static readonly byte[] DevNull = "/dev/null\0"u8.ToArray();

    /// <summary>pipe2(2) with O_CLOEXEC (only the copies a child is given as its standard streams survive its exec):
    /// 0, or -1 with <paramref name="errno"/>.</summary>
    public static int Pipe(out int readFd, out int writeFd, out int errno)
    {
        int* fds = stackalloc int[2];
        int rc = Result(pipe2(fds, OpenFlags.O_CLOEXEC), out errno);
        (readFd, writeFd) = rc == 0 ? (fds[0], fds[1]) : (-1, -1);
        return rc;
    }

    /// <summary>
    /// posix_spawn(3) of <paramref name="path"/> (absolute: no PATH search, so nobody can plant a program we would
    /// run as root) with <paramref name="argv"/> and <paramref name="envp"/> (each NUL-terminated), its standard input
    /// /dev/null and its standard output and error the descriptors given. The child's pid, or -1 with
    /// <paramref name="errno"/> (glibc reports a failed exec here too).
    /// </summary>
    public static int Spawn(byte[] path, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> envp, int stdoutFd, int stderrFd, out int errno)
    {
        var pins = new List<GCHandle>(argv.Count + envp.Count);
        byte** args = Vector(argv, pins), env = Vector(envp, pins);
        // posix_spawn_file_actions_t is 80 bytes in glibc on x86-64 and arm64; room to spare.
        byte* actions = stackalloc byte[256];
        try
        {
            int rc = posix_spawn_file_actions_init(actions);
            if (rc != 0) { errno = rc; return -1; }
            try
            {
                fixed (byte* devNull = DevNull)
                    rc = posix_spawn_file_actions_addopen(actions, 0, devNull, OpenFlags.O_RDONLY, 0);
                if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, stdoutFd, 1);
                if (rc == 0) rc = posix_spawn_file_actions_adddup2(actions, stderrFd, 2);
                int pid = 0;
                if (rc == 0)
                    fixed (byte* p = path) rc = posix_spawn(&pid, p, actions, null, args, env);
                errno = rc;
                return rc == 0 ? pid : -1;
            }
            finally { posix_spawn_file_actions_destroy(actions); }
        }
        finally
        {
            foreach (var pin in pins) pin.Free();
            NativeMemory.Free(args);
            NativeMemory.Free(env);
        }
    }

    /// <summary>waitpid(2) of one child (blocking), again on EINTR: its pid, or -1 with <paramref name="errno"/>.
    /// <paramref name="exitCode"/>: its exit status, or 128 + the signal that ended it.</summary>
    public static int WaitChild(int pid, out int exitCode, out int errno)
    {
        int status = 0, rc;
        while ((rc = Result(waitpid(pid, &status, 0), out errno)) < 0 && errno == Errno.EINTR) { }
        exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        return rc;
    }

    /// <summary>A NULL-terminated vector of pointers to the pinned arrays (freed by the caller).</summary>
    private static byte** Vector(IReadOnlyList<byte[]> items, List<GCHandle> pins)
    {
        var vector = (byte**)NativeMemory.AllocZeroed((nuint)(items.Count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < items.Count; i++)
        {
            var pin = GCHandle.Alloc(items[i], GCHandleType.Pinned);
            pins.Add(pin);
            vector[i] = (byte*)pin.AddrOfPinnedObject();
        }
        return vector;
    }

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int posix_spawn(int* pid, byte* path, byte* fileActions, byte* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int posix_spawn_file_actions_init(byte* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int posix_spawn_file_actions_destroy(byte* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int posix_spawn_file_actions_addopen(byte* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static partial int posix_spawn_file_actions_adddup2(byte* actions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);
}
