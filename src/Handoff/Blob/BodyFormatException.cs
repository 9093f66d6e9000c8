namespace Preconfig.Handoff.Blob;

/// <summary>
/// The blob body (MessagePack) is malformed, truncated, over a limit, or not what the format says. Names the byte
/// offset of the offending value; <see cref="HandoffBlob.Read"/> wraps it in a <see cref="HandoffFormatException"/>.
/// </summary>
public sealed class BodyFormatException : FormatException
{
    /// <summary>Offset of the value found wrong, from the start of the body plus the base offset the decoder was given.</summary>
    public long Offset { get; }

    /// <summary>The message without the offset suffix.</summary>
    public string Reason { get; }

    public BodyFormatException(long offset, string reason, Exception? inner = null)
        : base($"{reason} (body offset {offset})", inner)
    {
        Offset = offset;
        Reason = reason;
    }
}
