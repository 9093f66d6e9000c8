using System.Reflection;
using System.Text.RegularExpressions;
using Preconfig.Preinit.Planning;

namespace Preconfig.Tests.Preinit;

/// <summary>The crash tests' exceptions are preinit's written policy: every reason <see cref="LeftAlone"/> gives is
/// quoted word for word in docs/preinit.md, and so is the one rule the tests add.</summary>
public class PolicyExceptionsTests
{
    private static string Normalized(string text) => Regex.Replace(text, @"\s+", " ");

    [Fact]
    public void Every_reason_preinit_leaves_a_bit_alone_is_in_docs_preinit_md_word_for_word()
    {
        string doc = Normalized(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "preinit.md")).Replace("`", ""));
        var reasons = typeof(LeftAlone).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.StartsWith("Why", StringComparison.Ordinal))
            .Select(f => (f.Name, Text: (string)f.GetRawConstantValue()!)).Append(("OtherStatus", PolicyExceptions.OtherStatus)).ToList();
        Assert.True(reasons.Count >= 20, $"{reasons.Count} reasons");
        foreach (var (name, text) in reasons)
            Assert.True(doc.Contains(Normalized(text), StringComparison.Ordinal), $"{name}: \"{text}\" is not in docs/preinit.md");
    }
}
