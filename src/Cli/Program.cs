using System.CommandLine;
using Preconfig.Cli;

// The preconfig command: a thin layer of verbs over the libraries. Each verb lives in its own folder and builds its
// Command here; behaviour sits in the libraries so it is tested without a console.
var root = new RootCommand("preconfig: save PCI configuration space at boot, put devices back into that state in the kdump capture kernel");
foreach (var verb in Verbs.All())
    root.Subcommands.Add(verb);
return CliRunner.Run(root, args);
