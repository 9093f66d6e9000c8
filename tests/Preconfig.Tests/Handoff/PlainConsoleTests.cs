using System.IO.Pipes;
using Preconfig.Cli;

namespace Preconfig.Tests.Handoff;

/// <summary>The initramfs edition's stdout/stderr: a line leaves in one piece, and a reader that went away is not an error.</summary>
public sealed class PlainConsoleTests
{
    [Fact]
    public void Lines_arrive_whole_and_a_closed_reader_is_ignored_as_the_console_does()
    {
        var reader = new AnonymousPipeServerStream(PipeDirection.In);
        using var writeEnd = reader.ClientSafePipeHandle;
        var writer = PlainConsole.Writer((int)writeEnd.DangerousGetHandle());
        string line = new('x', 1000);
        writer.WriteLine(line);
        var buffer = new byte[4096];
        int n = reader.Read(buffer);
        Assert.Equal(line + "\n", System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        reader.Dispose();
        writer.WriteLine("nobody reads this"); // EPIPE: dropped, no exception
    }

    [Fact]
    public void A_descriptor_that_is_not_open_swallows_the_line()
    {
        // Above any descriptor limit, so never open (a closed low number could be reused by a parallel test).
        PlainConsole.Writer(1 << 30).WriteLine("nowhere to go"); // EBADF: dropped, no exception
    }
}
