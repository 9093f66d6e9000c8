using Preconfig.Preinit.Policy;

namespace Preconfig.Tests.Preinit;

/// <summary>The policy file's reader (a hand-written one over Utf8JsonReader): every field, JSON's liberties the
/// serializer allowed (comments, trailing commas, null as absent, the last of a repeated key), and errors that name
/// the file, the line and the field.</summary>
public class PolicyFileTests
{
    [Fact]
    public void Every_field_is_read()
    {
        var p = ReplayPolicy.Parse("""
            // comments and trailing commas are allowed
            {
              "reset": [ {"match": {"class": "0x02"}, "reset": "if-supported", "methods": ["bus", "flr"]},
                         {"match": "8086:10d3", "reset": "never"}, ],
              "resetMethods": ["flr", "bridge"],
              "busMaster": "as-captured", "intx": "as-captured",
              "allow": ["0000:03:00.0", "8086:*", "class:0c03"], "deny": ["1234:5678"],
              "resetOnly": ["class:02"], "resetDeny": ["class:0104"],
              "resetVgaConsole": true, "moveResources": true, "clearErrorStatus": false, "quiesceUnmatched": false,
              "restorePowerState": true, "restoreAcs": true, "restoreAri": true, "retries": 7, /* last */
            }
            """);
        Assert.Equal(ResetPolicy.Never, p.Reset);
        Assert.Equal(2, p.ResetRules.Count);
        Assert.Equal(["bus", "flr"], p.ResetRules[0].Methods!);
        Assert.Equal(ResetPolicy.Never, p.ResetRules[1].Reset);
        Assert.Equal(["flr", "bridge"], p.ResetMethods);
        Assert.Equal(BusMasterPolicy.AsCaptured, p.BusMaster);
        Assert.Equal(IntxPolicy.AsCaptured, p.Intx);
        Assert.Equal(3, p.Allow.Count);
        Assert.Single(p.Deny);
        Assert.Single(p.ResetOnly);
        Assert.Single(p.ResetDeny);
        Assert.True(p.ResetVgaConsole && p.MoveResources && !p.ClearErrorStatus && !p.QuiesceUnmatched);
        Assert.True(p.RestorePowerState && p.RestoreAcs && p.RestoreAri);
        Assert.Equal(7, p.Retries);
        var nic = new DeviceIdentity(PciAddress.Parse("0000:05:00.0"), 0x8086, 0x1533, 0x020000);
        Assert.True(p.MayReset(nic, null, out _, out var methods));
        Assert.Equal(["bus", "flr"], methods);
    }

    [Fact]
    public void Null_is_absent_and_the_last_of_a_repeated_key_counts()
    {
        var p = ReplayPolicy.Parse("""{"reset": null, "allow": null, "busMaster": null, "retries": null, "moveResources": null, "retries": 0, "reset": "if-supported"}""");
        Assert.Equal(0, p.Retries);
        Assert.Equal(ResetPolicy.IfSupported, p.Reset);
        Assert.Empty(p.Allow);
        Assert.Equal(BusMasterPolicy.Off, p.BusMaster);
        Assert.False(p.MoveResources);
        var empty = ReplayPolicy.Parse("{}");
        Assert.Equal((ReplayPolicy.Default.Reset, ReplayPolicy.Default.Retries, ReplayPolicy.Default.ResetMethods), (empty.Reset, empty.Retries, empty.ResetMethods));
    }

    [Theory]
    [InlineData("{\n\"retries\": \"3\"}", "policy:2: not a preinit policy: \"retries\" is a whole number")]
    [InlineData("{\"retries\": 2.5}", "\"retries\" is a whole number")]
    [InlineData("{\"moveResources\": 1}", "\"moveResources\" is true or false")]
    [InlineData("{\"busMaster\": false}", "\"busMaster\" is a string")]
    [InlineData("{\"allow\": \"8086:*\"}", "\"allow\" is a list of strings")]
    [InlineData("{\"deny\": [\"8086:*\", null]}", "\"deny\"[1] is a string")]
    [InlineData("[1]", "policy:1: not a preinit policy: the file is a JSON object")]
    [InlineData("null", "policy:1: not a preinit policy (null)")]
    [InlineData("", "policy:1: not a preinit policy")]
    [InlineData("{} {}", "policy:1: not a preinit policy")]
    [InlineData("{\"Retries\": 1}", "unknown key \"Retries\"")]
    public void Wrong_values_are_named_with_the_line(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReplayPolicy.Parse(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_file_is_read_from_the_file_system_and_named_in_errors()
    {
        string dir = Directory.CreateTempSubdirectory("policy-file-").FullName;
        try
        {
            string path = Path.Combine(dir, "p.json");
            File.WriteAllText(path, "{ \"retries\": 1 }");
            Assert.Equal(1, ReplayPolicy.Load(new System.IO.Abstractions.FileSystem(), path).Retries);
            File.WriteAllText(path, "{\n  \"retries\": 1,\n  \"bogus\": 2\n}");
            var e = Assert.Throws<InvalidDataException>(() => ReplayPolicy.Load(new System.IO.Abstractions.FileSystem(), path));
            Assert.StartsWith($"{path}:3: not a preinit policy: unknown key \"bogus\"", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
