using Preconfig.Cli;
using Preconfig.FullEdition;

// The preconfig command, full edition (dist/preconfig): a thin layer of verbs over the libraries. Each verb lives in
// its own folder and builds its Command; behaviour sits in the libraries so it is tested without a console.
// The verbs both editions have print plain lines: they write through plain descriptors, as the initramfs edition
// always does (the runtime's Console would set up the terminal first: a thread, a pipe, six sigactions).
if (args.Length > 0 && Verbs.Shared.Contains(args[0])) PlainConsole.Use();
return CliRunner.Run(FullVerbs.Root(args), args);
