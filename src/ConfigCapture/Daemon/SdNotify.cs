using System.Net.Sockets;
using System.Text;

namespace Preconfig.ConfigCapture.Daemon;

/// <summary>
/// systemd's notification protocol, written by hand (Microsoft.Extensions.Hosting.Systemd is not available): one
/// datagram of <c>KEY=value</c> lines to the Unix socket named by <c>$NOTIFY_SOCKET</c>; a name starting with '@' is
/// in the abstract namespace (the '@' stands for a leading NUL). Without the variable (not run by systemd) every call
/// does nothing. Failures are reported to the caller, never thrown: a lost notification must not stop a capture.
/// </summary>
public sealed class SdNotify : IDisposable
{
    public const string SocketVariable = "NOTIFY_SOCKET";

    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;

    public SdNotify(string? socketPath)
    {
        if (string.IsNullOrEmpty(socketPath)) return;
        if (socketPath[0] is not ('/' or '@'))
            throw new ArgumentException($"{SocketVariable}='{socketPath}' is neither a path nor an abstract name ('@...')");
        SocketPath = socketPath;
        _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static SdNotify FromEnvironment() => new(Environment.GetEnvironmentVariable(SocketVariable));

    public string? SocketPath { get; }
    public bool Enabled => _socket is not null;

    /// <summary>Sends the lines (for example <c>READY=1</c>, <c>STATUS=…</c>). Returns an error text, or null when sent or disabled.</summary>
    public string? Send(params string[] assignments)
    {
        if (_socket is null || _endPoint is null) return null;
        // A STATUS value is one line: newlines would start a new assignment.
        var text = string.Join('\n', assignments.Select(a => a.Replace('\n', ' ')));
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(text), SocketFlags.None, _endPoint);
            return null;
        }
        catch (SocketException e)
        {
            return $"sd_notify to {SocketPath} failed: {e.Message}";
        }
    }

    public string? Ready(string status) => Send("READY=1", "STATUS=" + status);
    public string? Status(string status) => Send("STATUS=" + status);
    public string? Stopping(string status) => Send("STOPPING=1", "STATUS=" + status);

    public void Dispose() => _socket?.Dispose();
}
