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
        if (_kmsg is not null)
        {
            try
            {
                _kmsg.Write(Encoding.UTF8.GetBytes($"<{(int)level}>preconfig: {message}\n"));
                _kmsg.Flush();
            }
            catch (IOException) { }
        }
        if (_console is not null && level <= _consoleLevel) _console.WriteLine($"preconfig: {message}");
    }

    public void Error(string message) => Write(LogLevel.Error, message);
    public void Warning(string message) => Write(LogLevel.Warning, message);
    public void Notice(string message) => Write(LogLevel.Notice, message);
    public void Info(string message) => Write(LogLevel.Info, message);

    public void Dispose() => _kmsg?.Dispose();
}
