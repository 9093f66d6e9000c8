namespace Preconfig.Handoff.MessagePack;

/// <summary>MessagePack input is malformed, truncated or not what the reader asked for. Names the byte offset.</summary>
public sealed class MessagePackFormatException : FormatException
{
    /// <summary>Offset of the offending byte from the start of the span the reader was given.</summary>
    public long Offset { get; }

    /// <summary>The message without the offset suffix.</summary>
    public string Reason { get; }

    public MessagePackFormatException(long offset, string reason)
        : base($"{reason} (MessagePack offset {offset})")
    {
        Offset = offset;
        Reason = reason;
    }
}
