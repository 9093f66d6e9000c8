namespace Preconfig.Tests.ConfigSpace;

public class PciAddressTests
{
    [Theory]
    [InlineData("00:1f.2", "0000:00:1f.2")]
    [InlineData("0000:03:00.0", "0000:03:00.0")]
    [InlineData("10000:e1:00.7", "10000:e1:00.7")]
    [InlineData("000a:0F:1F.7", "000a:0f:1f.7")]
    public void ParsesWhatLspciAcceptsAndFormatsCanonically(string text, string canonical) =>
        Assert.Equal(canonical, PciAddress.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("00:20.0")]      // device 32 does not exist
    [InlineData("00:1f.8")]      // function 8 does not exist
    [InlineData("000:1f.0")]     // bus of three digits
    [InlineData("0000:00:1f")]   // no function
    [InlineData("g000:00:1f.0")]
    public void RejectsWhatIsNotAnAddress(string text) => Assert.False(PciAddress.TryParse(text, out _));

    [Fact]
    public void OrdersByDomainBusDeviceFunction()
    {
        var list = new[] { "0001:00:00.0", "0000:01:00.0", "0000:00:1f.3", "0000:00:1f.0", "0000:00:02.0" }
            .Select(PciAddress.Parse).Order().Select(a => a.ToString());
        Assert.Equal(["0000:00:02.0", "0000:00:1f.0", "0000:00:1f.3", "0000:01:00.0", "0001:00:00.0"], list);
    }

    [Fact]
    public void FormatsAsTheCompositeFormatDidForEveryWidthOfDomain()
    {
        foreach (int domain in new[] { 0, 1, 0xa, 0xffff, 0x10000, 0xfffff, 0x123456, 0x7fffffff })
            foreach (var (bus, device, function) in new[] { (0, 0, 0), (0xe1, 0x1f, 7), (0x0f, 0x10, 3), (0xff, 0x1a, 5) })
            {
                var a = new PciAddress(domain, (byte)bus, (byte)device, (byte)function);
                string expected = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{domain:x4}:{bus:x2}:{device:x2}.{function}");
                Assert.Equal(expected, a.ToString());
                Assert.Equal($"<{expected}>", $"<{a}>");
                Assert.Equal(a, PciAddress.Parse(a.ToString()));
            }
    }

    [Fact]
    public void TryFormatRefusesTooShortASpan()
    {
        var a = new PciAddress(0x10000, 0xe1, 0, 7);
        Span<char> buffer = stackalloc char[13];
        Assert.False(a.TryFormat(buffer[..12], out int none, default, null));
        Assert.Equal(0, none);
        Assert.True(a.TryFormat(buffer, out int written, default, null));
        Assert.Equal("10000:e1:00.7", buffer[..written].ToString());
    }
}
