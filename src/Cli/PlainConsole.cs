using System.Runtime.InteropServices;
using System.Text;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.Cli;

/// <summary>
/// Standard output and error as plain file descriptors: each line leaves in one write(2). The runtime's Console
/// sets up the terminal on its first write (a signal-handling thread, a pipe, six sigactions) and cuts long lines
/// into 256-byte writes; the initramfs edition never reads the terminal and runs where a thread is a cost, so it
/// writes through this instead (Program.cs). As the Console does, a reader that went away (EPIPE) is not an error;
/// unlike it, neither is a descriptor that was never open (EBADF: started with 1 or 2 closed): the runtime's Console
/// throws there, and preinit --boot, whose every failure is logged to the console, then aborted.
/// </summary>
internal static class PlainConsole
{
    public static void Use()
    {
        Console.SetOut(Writer(1));
        Console.SetError(Writer(2));
    }

    internal static TextWriter Writer(int fd) =>
        new StreamWriter(new FdWriteStream(fd), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 4096) { AutoFlush = true };

    /// <summary>write(2) to a descriptor this process does not own (never closed here).</summary>
    internal sealed class FdWriteStream(int fd) : Stream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int n = Libc.Write(fd, buffer, out int errno);
                if (n >= 0) { buffer = buffer[n..]; continue; }
                if (errno is Errno.EPIPE or Errno.EBADF) return;
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN)
                {
                    // A non-blocking descriptor that is full: wait until it takes more, as the Console does.
                    Libc.Poll(fd, LinuxAbi.POLLOUT, -1);
                    continue;
                }
                throw new IOException($"write to descriptor {fd}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
