using Preconfig.ConfigSpace;

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
}
