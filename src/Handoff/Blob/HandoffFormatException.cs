namespace Preconfig.Handoff.Blob;

/// <summary>A blob (or a store holding one) is malformed, damaged, or fails its signature. Names the offset.</summary>
public sealed class HandoffFormatException : FormatException
{
    /// <summary>Offset in the blob (or in the store file) of the first byte found wrong; -1 when it is the whole blob.</summary>
    public long Offset { get; }
    public string Reason { get; }

    public HandoffFormatException(long offset, string reason, Exception? inner = null)
        : base(offset >= 0 ? $"{reason} (offset {offset})" : reason, inner)
    {
        Offset = offset;
        Reason = reason;
    }
}
