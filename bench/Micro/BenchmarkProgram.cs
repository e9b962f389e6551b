using BenchmarkDotNet.Running;

namespace DitoChat.Micro;

// Not top-level statements: DitoChat.WebApi already declares a public Program class.
public static class BenchmarkProgram
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
