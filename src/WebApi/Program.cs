using DitoChat.Application;
using DitoChat.Infrastructure;
using DitoChat.WebApi;

try
{
    await Program.Build(args).RunAsync();
    return 0;
}
catch (ConfigurationException e)
{
    await Console.Error.WriteLineAsync($"ditochat: {e.Message}");
    return 2;
}

public static partial class Program
{
    /// <summary>The whole service, configured from the environment (and <paramref name="args"/>, which tests use).</summary>
    /// <param name="configure">Lets tests add to the builder, e.g. a log capture.</param>
    /// <exception cref="ConfigurationException">A setting does not parse.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        var options = ChatOptions.From(builder.Configuration);
        // An explicit --urls (tests bind 127.0.0.1:0) wins over PORT.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://+:{options.Port}");
        }
        builder.Services
            .AddApplicationServices()
            .AddInfrastructureServices(options.Store)
            .AddWebApiServices(options);
        configure?.Invoke(builder);
        return builder.Build().UseChat();
    }
}
