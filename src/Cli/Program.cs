using Preconfig.Cli;

// The preconfig command: a thin layer of verbs over the libraries. Each verb lives in its own folder and builds its
// Command here; behaviour sits in the libraries so it is tested without a console.
#if INITRAMFS_EDITION
PlainConsole.Use();
#endif
return CliRunner.Run(Verbs.Root(args), args);
