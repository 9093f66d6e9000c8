namespace Preconfig.Tests.Preinit;

/// <summary>A generated section of a file under docs/: the text between its two marker lines.</summary>
internal static class DocSection
{
    public static string Between(string file, string begin, string end)
    {
        string doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", file));
        int b = doc.IndexOf(begin, StringComparison.Ordinal), e = doc.IndexOf(end, StringComparison.Ordinal);
        Assert.True(b >= 0 && e > b, $"docs/{file} has no section between\n{begin}\nand\n{end}");
        return doc[(b + begin.Length)..e].Trim('\n');
    }
}
