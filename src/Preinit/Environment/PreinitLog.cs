using System.Buffers;
using System.IO.Abstractions;
using System.Text;

namespace Preconfig.Preinit.Environment;

/// <summary>Syslog levels as /dev/kmsg takes them in the <c>&lt;N&gt;</c> prefix.</summary>
public enum LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 }

/// <summary>
/// The preinit log: each line to the kernel log (<c>&lt;N&gt;preconfig: ...</c>, one write per record, as /dev/kmsg
/// wants) and to the console. A kernel log that cannot be opened is not an error: the console still gets the line.
/// </summary>
public sealed class PreinitLog : IDisposable
{
    private readonly Stream? _kmsg;
    private readonly TextWriter? _console;
    private readonly LogLevel _consoleLevel;

    public PreinitLog(IFileSystem fs, string? kmsgPath, TextWriter? console, LogLevel consoleLevel = LogLevel.Notice)
    {
        _console = console;
        _consoleLevel = consoleLevel;
        if (kmsgPath is null) return;
        try { _kmsg = fs.FileStream.New(kmsgPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A log that goes nowhere.</summary>
    public static PreinitLog Null => new(new System.IO.Abstractions.FileSystem(), null, null);

    public void Write(LogLevel level, string message)
    {
        // Each line is put together in a buffer and leaves in one write, without a string or byte array per line
        // (a run logs a line or two per function).
        if (_kmsg is not null)
        {
            int length = KmsgPrefix.Length + Encoding.UTF8.GetMaxByteCount(message.Length) + 1;
            byte[]? rented = length > 1024 ? ArrayPool<byte>.Shared.Rent(length) : null;
            Span<byte> line = rented ?? stackalloc byte[1024];
            try
            {
                KmsgPrefix.CopyTo(line);
                line[1] = (byte)('0' + (int)level);
                int n = KmsgPrefix.Length + Encoding.UTF8.GetBytes(message, line[KmsgPrefix.Length..]);
                line[n++] = (byte)'\n';
                _kmsg.Write(line[..n]);
                _kmsg.Flush();
            }
            catch (IOException) { }
            finally
            {
                if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
            }
        }
        if (_console is not null && level <= _consoleLevel)
        {
            const string prefix = "preconfig: ";
            int length = prefix.Length + message.Length;
            char[]? rented = length > 512 ? ArrayPool<char>.Shared.Rent(length) : null;
            Span<char> line = rented ?? stackalloc char[512];
            prefix.CopyTo(line);
            message.CopyTo(line[prefix.Length..]);
            _console.WriteLine(line[..length]);
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    // "<N>preconfig: ": N, the level, is filled in per line.
    private static ReadOnlySpan<byte> KmsgPrefix => "<0>preconfig: "u8;

    public void Error(string message) => Write(LogLevel.Error, message);
    public void Warning(string message) => Write(LogLevel.Warning, message);
    public void Notice(string message) => Write(LogLevel.Notice, message);
    public void Info(string message) => Write(LogLevel.Info, message);

    public void Dispose() => _kmsg?.Dispose();
}
