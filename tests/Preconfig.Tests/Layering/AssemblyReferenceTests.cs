using System.Reflection;
using System.Xml.Linq;

namespace Preconfig.Tests.Layering;

/// <summary>
/// The initramfs edition holds no Spectre.Console, Hosting or Serilog code because its project references cannot
/// reach them (issue 23; docs/architecture.md): these hold the project files and the compiled references to that.
/// </summary>
public sealed class AssemblyReferenceTests
{
    /// <summary>What the initramfs edition may reach, project by project (docs/architecture.md's picture).</summary>
    private static readonly Dictionary<string, string[]> InitramfsGraph = new()
    {
        ["InitramfsEdition"] = ["Cli"],
        ["Cli"] = ["ConfigSpace", "Handoff", "Capture", "Preinit"],
        ["Preinit"] = ["ConfigSpace", "Handoff"],
        ["Capture"] = ["ConfigSpace", "Handoff"],
        ["Handoff"] = ["ConfigSpace"],
        ["ConfigSpace"] = [],
    };

    private static readonly string[] Forbidden = ["Spectre.Console", "Microsoft.Extensions.Hosting", "Serilog", "Preconfig.Daemon", "Preconfig.Inspection"];

    private static XDocument Project(string name)
    {
        string dir = Path.Combine(RepoPaths.Root, "src", name);
        return XDocument.Load(Directory.GetFiles(dir, "*.csproj").Single());
    }

    /// <summary>A project's own references (those of the files it imports too, for the editions' shared props).</summary>
    private static IEnumerable<XElement> Items(string name, string kind)
    {
        var doc = Project(name);
        var imported = doc.Root!.Elements("Import").Select(i => Path.GetFullPath(Path.Combine(RepoPaths.Root, "src", name, i.Attribute("Project")!.Value.Replace('\\', '/'))));
        return doc.Descendants(kind).Concat(imported.SelectMany(p => XDocument.Load(p).Descendants(kind)));
    }

    [Fact]
    public void The_initramfs_edition_references_configspace_handoff_capture_and_preinit_only()
    {
        foreach (var (project, allowed) in InitramfsGraph)
        {
            var references = Items(project, "ProjectReference")
                .Select(r => r.Attribute("Include")!.Value.Split('\\', '/', ')')[^1].Replace(".csproj", "").Replace("Preconfig.", ""))
                .ToList();
            Assert.All(references, r => Assert.Contains(r, allowed));
            var packages = Items(project, "PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();
            Assert.DoesNotContain(packages, p => Forbidden.Any(f => p.StartsWith(f, StringComparison.Ordinal)));
            // No edition chosen by a compilation symbol: the references decide.
            Assert.DoesNotContain(Project(project).Descendants("DefineConstants"), _ => true);
        }
    }

    [Theory]
    [InlineData("Preconfig.Cli")]
    [InlineData("Preconfig.Capture")]
    [InlineData("Preconfig.Preinit")]
    public void What_the_initramfs_edition_links_uses_no_daemon_or_inspection_code(string assembly)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<AssemblyName>([new AssemblyName(assembly)]);
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            if (!seen.Add(name.Name!)) continue;
            Assert.DoesNotContain(Forbidden, f => name.Name!.StartsWith(f, StringComparison.Ordinal));
            if (name.Name!.StartsWith("Preconfig.", StringComparison.Ordinal))
                foreach (var r in Assembly.Load(name).GetReferencedAssemblies()) queue.Enqueue(r);
        }
        Assert.Contains("Preconfig.ConfigSpace", seen);
    }
}
