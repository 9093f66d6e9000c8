using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Cli.Preinit;
using Preconfig.Cli;
using Preconfig.Handoff.Model;
using Preconfig.Handoff.Stores;
using Preconfig.Preinit.Demo;

namespace Preconfig.FullEdition.Demo;

/// <summary><c>preconfig demo</c>: the main job on the bundled simulated machine.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var machine = new Option<string?>("--machine") { Description = "Machine file to use instead of the bundled fixtures/machines/demo.json" };
        var seed = new Option<int>("--seed") { Description = "Seed for what 'the kernel' leaves behind", DefaultValueFactory = _ => 1 };
        var keep = new Option<bool>("--keep") { Description = "Keep the temp directory (machine, store, kernel log, report)" };
        var command = new Command("demo", "Capture the bundled simulated machine, let 'the kernel run', crash, run preinit, show before and after");
        command.Options.Add(machine);
        command.Options.Add(seed);
        command.Options.Add(keep);
        command.SetAction(pr => Run(pr.GetValue(machine), pr.GetValue(seed), pr.GetValue(keep)));
        return command;
    }

    private static int Run(string? machinePath, int seed, bool keep)
    {
        machinePath ??= FindBundledMachine();
        var fs = new FileSystem();
        string work = Directory.CreateTempSubdirectory("preconfig-demo-").FullName;
        try
        {
            var demo = DemoScenario.Run(fs, machinePath, work, DemoStore.Save, (spec, key) => StoreReader.Read(fs, spec, key), seed);
            bool tty = !Console.IsOutputRedirected;
            for (int i = 0; i < demo.Story.Count; i++) Console.WriteLine($"{i + 1}. {demo.Story[i]}");
            Console.WriteLine();
            Console.Write(DemoTable.Render(demo, color: tty));
            Console.WriteLine();
            Console.WriteLine("Endpoints end with Bus Master and MSI/MSI-X off (their drivers turn them on), INTx disabled until a driver");
            Console.WriteLine("enables it, error bits cleared; everything else firmware wrote is back. Bridges keep firmware's Bus Master.");
            if (keep) Console.WriteLine($"work directory: {work}");
            return demo.Report.Count("failed") == 0 ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            if (!keep) Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>fixtures/machines/demo.json, found from the current directory or beside the executable.</summary>
    private static string FindBundledMachine()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "fixtures", "machines", "demo.json");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new CliUsageException("demo: fixtures/machines/demo.json not found (run from the repository, or pass --machine FILE)");
    }
}

/// <summary>Where the demo keeps its snapshot across the "crash": a blob in a file store, as production does.</summary>
internal static class DemoStore
{
    public static (string Spec, string Note) Save(Snapshot snapshot, string workDirectory)
    {
        string spec = "file:" + Path.Combine(workDirectory, "handoff.pcfg");
        var written = HandoffStore.Parse(spec, new FileSystem()).Save(snapshot);
        return (spec, $"({written.BlobLength} bytes, sequence {written.Sequence})");
    }
}
