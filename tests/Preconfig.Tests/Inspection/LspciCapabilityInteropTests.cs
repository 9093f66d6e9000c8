using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Preconfig.Inspection;

namespace Preconfig.Tests.Inspection;

/// <summary>
/// For every real dump: the capability offsets <c>inspect --json</c> reports equal the <c>Capabilities: [xx]</c>
/// offsets the real <c>lspci -F FILE -vvv</c> prints, standard and extended, device by device. lspci's
/// <c>&lt;chain broken&gt;</c> and <c>&lt;chain looped&gt;</c> lines name where a walk stopped, not a capability.
/// </summary>
public partial class LspciCapabilityInteropTests
{
    [GeneratedRegex(@"^([0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ")]
    private static partial Regex DeviceLine();

    [GeneratedRegex(@"^\tCapabilities: \[([0-9a-f]+)[^\]]*\] (.*)$")]
    private static partial Regex CapabilityLine();

    public static TheoryData<string> Dumps() => InspectionTestData.Dumps();

    [Theory]
    [MemberData(nameof(Dumps))]
    public void CapabilityOffsetsEqualLspci(string dump)
    {
        var expected = LspciCapabilities(InspectionTestData.Lspci("-F", InspectionTestData.PathOf(dump), "-vvv", "-D"));
        var actual = InspectJsonCapabilities(dump);

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (address, caps) in expected)
            Assert.True(caps.SequenceEqual(actual[address]),
                $"{dump} {address}: lspci [{Show(caps)}], inspect [{Show(actual[address])}]");
    }

    /// <summary>Reads what inspect --json writes (the JSON text, as scripts read it).</summary>
    private static Dictionary<string, List<(int Offset, bool Extended)>> InspectJsonCapabilities(string dump)
    {
        var functions = FunctionSummary.Build(InspectionTestData.Load(dump), new PciIds(null));
        using var doc = JsonDocument.Parse(InspectionJson.Serialize(InspectionJson.Devices(functions)));
        var result = new Dictionary<string, List<(int, bool)>>();
        foreach (var d in doc.RootElement.EnumerateArray())
        {
            var list = new List<(int, bool)>();
            foreach (var c in d.GetProperty("capabilities").EnumerateArray())
            {
                Assert.Equal(JsonValueKind.Number, c.GetProperty("id").ValueKind);
                list.Add((c.GetProperty("offset").GetInt32(), c.GetProperty("extended").GetBoolean()));
            }
            result[d.GetProperty("address").GetString()!] = list;
        }
        return result;
    }

    internal static Dictionary<string, List<(int Offset, bool Extended)>> LspciCapabilities(string lspciOutput)
    {
        var result = new Dictionary<string, List<(int, bool)>>();
        List<(int, bool)>? current = null;
        foreach (var line in lspciOutput.Split('\n'))
        {
            var m = DeviceLine().Match(line);
            if (m.Success)
            {
                result[m.Groups[1].Value] = current = [];
                continue;
            }
            m = CapabilityLine().Match(line);
            if (!m.Success || current is null) continue;
            if (m.Groups[2].Value.StartsWith("<chain", StringComparison.Ordinal)) continue;
            // lspci prints standard offsets with two digits and extended ones with three.
            current.Add((int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups[1].Value.Length == 3));
        }
        return result;
    }

    private static string Show(IEnumerable<(int Offset, bool Extended)> caps) =>
        string.Join(" ", caps.Select(c => c.Extended ? $"{c.Offset:x3}" : $"{c.Offset:x2}"));

    [Fact]
    public void TheCheckSeesChainProblemsInLspciOutput()
    {
        // lspci's words for a stopped walk must not count as capabilities.
        var parsed = LspciCapabilities("0000:00:00.0 Host bridge: x\n\tCapabilities: [40] Power Management version 3\n\tCapabilities: [48] <chain looped>\n" +
            "\tCapabilities: [100 v1] Advanced Error Reporting\n\tCapabilities: [140 v1] <chain looped>\n");
        Assert.Equal([(0x40, false), (0x100, true)], parsed["0000:00:00.0"]);
    }
}
