import { CardPage } from '../document.js';

/** After signing out of the console, or when a sign-in did not finish: the way back in. */
export function ConsoleMessage(props: { title: string; message: string; signIn: string }) {
  return (
    <CardPage title={props.title}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a class="button" href={props.signIn}>
          Sign in
        </a>
      </p>
    </CardPage>
  );
}
