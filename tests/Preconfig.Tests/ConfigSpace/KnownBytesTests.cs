namespace Preconfig.Tests.ConfigSpace;

/// <summary>A whole capture answers Covers without looking at its bits: it must answer as the bits do.</summary>
public class KnownBytesTests
{
    [Theory]
    [InlineData(4096)]
    [InlineData(256)]
    [InlineData(64)]
    [InlineData(0)]
    public void A_whole_capture_covers_what_the_same_bytes_marked_one_by_one_cover(int length)
    {
        var whole = KnownBytes.All(length);
        var marked = KnownBytes.FromRanges([(0, length)], length);
        Assert.True(whole.IsComplete == marked.IsComplete);
        foreach (int offset in new[] { -4, -1, 0, 1, 3, 60, 62, 63, 64, 127, 252, 255, 256, 4092, 4095, 4096, 5000 })
            foreach (int width in new[] { -1, 0, 1, 2, 4, 8, 64, 100 })
                Assert.True(marked.Covers(offset, width) == whole.Covers(offset, width), $"Covers({offset}, {width}) of {length} bytes");
    }

    [Fact]
    public void A_clip_of_a_whole_capture_is_answered_from_its_bits()
    {
        var clipped = KnownBytes.All(4096).Clip(256);
        Assert.True(clipped.Covers(0, 256));
        Assert.False(clipped.Covers(252, 8));
        Assert.False(clipped.Covers(256, 4));
        var partial = KnownBytes.None(256);
        partial.Add(0, 64);
        Assert.True(partial.Covers(60, 4));
        Assert.False(partial.Covers(62, 4));
        Assert.False(partial.IsComplete);
    }
}
