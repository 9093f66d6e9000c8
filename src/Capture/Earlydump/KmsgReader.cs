using System.Runtime.InteropServices;
using System.Text;
using Preconfig.ConfigSpace.Native;
using static Preconfig.ConfigSpace.Native.Errno;
using static Preconfig.ConfigSpace.Native.OpenFlags;

namespace Preconfig.Capture.Earlydump;

/// <summary>
/// Reads what the kernel log holds now from <c>/dev/kmsg</c> without waiting for more: opened with O_NONBLOCK, read
/// record by record until EAGAIN. Each record is <c>pri,seq,ts,flags[,…];message</c> followed by optional dictionary
/// lines that start with a space (skipped); non-printable bytes in the message come escaped as <c>\xNN</c>, so a
/// message holding newlines (an old-style earlydump printed with <c>\n</c> continuations) is split back into lines.
/// Lines are numbered by the record's sequence number, which is what <c>dmesg -r</c> and journald show too.
/// The path is injectable: tests use a regular file of records (read until end of file).
/// </summary>
public static class KmsgReader
{
    public const string DefaultPath = "/dev/kmsg";

    /// <summary>The log as numbered lines. <paramref name="lostRecords"/> counts EPIPE: records overwritten while reading.</summary>
    public static List<(int Line, string Text)> ReadLines(string path, out int lostRecords)
    {
        lostRecords = 0;
        var lines = new List<(int, string)>();
        int fd = Libc.Open(Libc.Terminated(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC, out int openErrno);
        if (fd < 0) throw ErrnoException(path, "cannot open", openErrno);
        try
        {
            // One kmsg read returns one whole record, or EINVAL if the buffer is too small for it (records are
            // at most about 8 KiB with their dictionary); a regular file returns as much as fits.
            var buffer = new byte[16 * 1024];
            var pending = new List<byte>();
            while (true)
            {
                int n = Libc.Read(fd, buffer, out int errno);
                if (n < 0)
                {
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN) break;
                    if (errno == EPIPE) { lostRecords++; continue; }
                    throw ErrnoException(path, errno == EINVAL ? "a record larger than the read buffer in" : "read failed on", errno);
                }
                if (n == 0) break;
                pending.AddRange(buffer.AsSpan(0, n));
                TakeRecords(pending, lines);
            }
            pending.Add((byte)'\n');
            TakeRecords(pending, lines);
        }
        finally
        {
            Libc.Close(fd);
        }
        return lines;
    }

    /// <summary>Parses every complete line of <paramref name="pending"/> and keeps the incomplete tail.</summary>
    private static void TakeRecords(List<byte> pending, List<(int, string)> lines)
    {
        var span = CollectionsMarshal.AsSpan(pending);
        int start = 0;
        for (int nl; (nl = span[start..].IndexOf((byte)'\n')) >= 0; start += nl + 1)
            AddRecord(Encoding.UTF8.GetString(span.Slice(start, nl)), lines);
        pending.RemoveRange(0, start);
    }

    /// <summary>One record line <c>pri,seq,ts,flags;message</c>; dictionary lines (leading space) and junk are skipped.</summary>
    internal static void AddRecord(string record, List<(int, string)> lines)
    {
        if (record.Length == 0 || record[0] == ' ') return;
        int semi = record.IndexOf(';');
        if (semi < 0) return;
        var fields = record.AsSpan(0, semi);
        int c1 = fields.IndexOf(',');
        if (c1 < 0) return;
        var afterPri = fields[(c1 + 1)..];
        int c2 = afterPri.IndexOf(',');
        var seqText = c2 < 0 ? afterPri : afterPri[..c2];
        if (!long.TryParse(seqText, out long seq)) return;
        int line = (int)Math.Min(seq, int.MaxValue);
        foreach (var part in Unescape(record.AsSpan(semi + 1)).Split('\n'))
            lines.Add((line, part));
    }

    /// <summary>Undoes the kernel's <c>\xNN</c> escaping (it escapes control bytes, bytes ≥ 0x7f and the backslash).</summary>
    internal static string Unescape(ReadOnlySpan<char> text)
    {
        if (!text.Contains("\\x", StringComparison.Ordinal)) return text.ToString();
        // Work on the UTF-8 bytes: an escape stands for one byte, which may be part of a multi-byte character.
        byte[] utf8 = Encoding.UTF8.GetBytes(text.ToArray());
        var bytes = new List<byte>(utf8.Length);
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && i + 3 < utf8.Length && utf8[i + 1] == 'x'
                && char.IsAsciiHexDigit((char)utf8[i + 2]) && char.IsAsciiHexDigit((char)utf8[i + 3]))
            {
                bytes.Add((byte)(HexValue(utf8[i + 2]) << 4 | HexValue(utf8[i + 3])));
                i += 3;
            }
            else bytes.Add(utf8[i]);
        }
        return Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
    }

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static IOException ErrnoException(string path, string what, int errno) =>
        new($"{path}: {what} the kernel log: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
